using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Models.Reinforcement;

/// <summary>One experience: the state, the action taken, the reward, the next state, and whether that next state is terminal.</summary>
/// <param name="State">The observation before the action.</param>
/// <param name="Action">The action.</param>
/// <param name="Reward">The reward.</param>
/// <param name="NextState">The observation after the action.</param>
/// <param name="Terminated">Whether the next state is terminal (a truncated episode's last state is not).</param>
public readonly record struct Transition(double[] State, int Action, double Reward, double[] NextState, bool Terminated);

/// <summary>A batch of transitions as tensors: states [B, D] and next states [B, D] (float32), actions [B] (int64), rewards and terminal flags [B] (float32).</summary>
public sealed class ReplayBatch : IDisposable
{
    internal ReplayBatch(Tensor states, Tensor actions, Tensor rewards, Tensor nextStates, Tensor terminated)
    {
        States = states;
        Actions = actions;
        Rewards = rewards;
        NextStates = nextStates;
        Terminated = terminated;
    }

    /// <summary>The states, [B, D].</summary>
    public Tensor States { get; }

    /// <summary>The actions, [B] (int64).</summary>
    public Tensor Actions { get; }

    /// <summary>The rewards, [B].</summary>
    public Tensor Rewards { get; }

    /// <summary>The next states, [B, D].</summary>
    public Tensor NextStates { get; }

    /// <summary>1 where the next state is terminal, else 0, [B].</summary>
    public Tensor Terminated { get; }

    /// <summary>Disposes the five tensors.</summary>
    public void Dispose()
    {
        States.Dispose();
        Actions.Dispose();
        Rewards.Dispose();
        NextStates.Dispose();
        Terminated.Dispose();
    }
}

/// <summary>
/// Experience replay (Mnih et al. 2015): a fixed-capacity memory of transitions that forgets the oldest first
/// (FIFO), and uniform sampling of distinct transitions from it with its own seeded generator (as Python's
/// <c>random.sample</c> in the course's notebooks). Transitions are kept in flat float32 arrays, so sampling a batch
/// copies numbers into five tensors and calls nothing else in libtorch.
/// </summary>
public sealed class ReplayBuffer
{
    readonly float[] _states;
    readonly float[] _nextStates;
    readonly long[] _actions;
    readonly float[] _rewards;
    readonly float[] _terminated;
    readonly Random _random;
    int _next;

    /// <summary>An empty buffer.</summary>
    /// <param name="capacity">How many transitions it keeps (the oldest go first); capacity × observationSize must fit one .NET array (<see cref="Array.MaxLength"/>).</param>
    /// <param name="observationSize">The length of a state.</param>
    /// <param name="seed">The sampling generator's seed (null: one drawn from <see cref="Seeding"/>).</param>
    public ReplayBuffer(int capacity, int observationSize, int? seed = null)
    {
        if (capacity < 1)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "ReplayBuffer: the capacity must be at least 1.");
        if (observationSize < 1)
            throw new ArgumentOutOfRangeException(nameof(observationSize), observationSize, "ReplayBuffer: the observation size must be at least 1.");
        // States live in one flat array of capacity × observationSize numbers: a product past an array's length would
        // wrap around int and fail later, far from the cause.
        if ((long)capacity * observationSize > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity,
                $"ReplayBuffer: capacity {capacity} × observation size {observationSize} = {(long)capacity * observationSize} numbers, more than the {Array.MaxLength} " +
                $"a .NET array holds; with states of {observationSize} numbers the capacity can be at most {Array.MaxLength / observationSize}.");
        Capacity = capacity;
        ObservationSize = observationSize;
        _states = new float[capacity * observationSize];
        _nextStates = new float[capacity * observationSize];
        _actions = new long[capacity];
        _rewards = new float[capacity];
        _terminated = new float[capacity];
        _random = new Random(seed ?? Seeding.NextSeed());
    }

    /// <summary>How many transitions it keeps at most.</summary>
    public int Capacity { get; }

    /// <summary>The length of a state.</summary>
    public int ObservationSize { get; }

    /// <summary>How many transitions it holds.</summary>
    public int Count { get; private set; }

    /// <summary>How many transitions were ever added.</summary>
    public long Added { get; private set; }

    /// <summary>Adds a transition, replacing the oldest when full.</summary>
    public void Add(Transition transition) =>
        Add(transition.State, transition.Action, transition.Reward, transition.NextState, transition.Terminated);

    /// <summary>Adds a transition, replacing the oldest when full.</summary>
    /// <exception cref="ArgumentException">A state of the wrong length, or a non-finite number.</exception>
    public void Add(ReadOnlySpan<double> state, int action, double reward, ReadOnlySpan<double> nextState, bool terminated)
    {
        if (state.Length != ObservationSize || nextState.Length != ObservationSize)
            throw new ArgumentException($"ReplayBuffer: states must have {ObservationSize} numbers; got {state.Length} and {nextState.Length}.");
        if (action < 0)
            throw new ArgumentOutOfRangeException(nameof(action), action, "ReplayBuffer: actions are numbered from 0.");
        if (!double.IsFinite(reward))
            throw new ArgumentException($"ReplayBuffer: the reward must be finite, got {reward}.", nameof(reward));
        // Checked before anything is written: a refused transition leaves the memory as it was.
        TensorChecks.RequireFinite("ReplayBuffer", state, nameof(state));
        TensorChecks.RequireFinite("ReplayBuffer", nextState, nameof(nextState));
        var offset = _next * ObservationSize;
        for (var i = 0; i < ObservationSize; i++)
        {
            _states[offset + i] = (float)state[i];
            _nextStates[offset + i] = (float)nextState[i];
        }
        _actions[_next] = action;
        _rewards[_next] = (float)reward;
        _terminated[_next] = terminated ? 1 : 0;
        _next = (_next + 1) % Capacity;
        Count = Math.Min(Count + 1, Capacity);
        Added++;
    }

    /// <summary>The transition at <paramref name="index"/>, 0 being the oldest held (float32 precision).</summary>
    public Transition this[int index]
    {
        get
        {
            if (index < 0 || index >= Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"ReplayBuffer: index {index} is outside 0..{Count - 1}.");
            var slot = Slot(index);
            var state = new double[ObservationSize];
            var next = new double[ObservationSize];
            for (var i = 0; i < ObservationSize; i++)
            {
                state[i] = _states[slot * ObservationSize + i];
                next[i] = _nextStates[slot * ObservationSize + i];
            }
            return new Transition(state, (int)_actions[slot], _rewards[slot], next, _terminated[slot] != 0);
        }
    }

    int Slot(int index) => Count < Capacity ? index : (_next + index) % Capacity;

    /// <summary>
    /// <paramref name="batchSize"/> distinct indices (0 = oldest held) drawn uniformly without replacement from the
    /// buffer's seeded generator.
    /// </summary>
    /// <exception cref="InvalidOperationException">The buffer holds fewer than <paramref name="batchSize"/> transitions.</exception>
    public int[] SampleIndices(int batchSize)
    {
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "ReplayBuffer: the batch size must be at least 1.");
        if (batchSize > Count)
            throw new InvalidOperationException($"ReplayBuffer: cannot sample {batchSize} distinct transitions from {Count}; wait until it holds at least the batch size.");
        // Floyd's algorithm: a uniform subset of size k in k draws.
        var chosen = new HashSet<int>();
        var result = new int[batchSize];
        var k = 0;
        for (var j = Count - batchSize; j < Count; j++)
        {
            var t = _random.Next(j + 1);
            var pick = chosen.Add(t) ? t : j;
            if (pick == j)
                chosen.Add(j);
            result[k++] = pick;
        }
        // Floyd's subsets are uniform but not in random order; shuffle so positions carry no information.
        for (var i = result.Length - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (result[i], result[j]) = (result[j], result[i]);
        }
        return result;
    }

    /// <summary>A uniformly sampled batch of distinct transitions as tensors on <paramref name="device"/>.</summary>
    public ReplayBatch Sample(int batchSize, Device? device = null)
    {
        var indices = SampleIndices(batchSize);
        var d = ObservationSize;
        var states = new float[batchSize * d];
        var nextStates = new float[batchSize * d];
        var actions = new long[batchSize];
        var rewards = new float[batchSize];
        var terminated = new float[batchSize];
        for (var b = 0; b < batchSize; b++)
        {
            var slot = Slot(indices[b]);
            Array.Copy(_states, slot * d, states, b * d, d);
            Array.Copy(_nextStates, slot * d, nextStates, b * d, d);
            actions[b] = _actions[slot];
            rewards[b] = _rewards[slot];
            terminated[b] = _terminated[slot];
        }
        return new ReplayBatch(
            tensor(states, [batchSize, d], device: device),
            tensor(actions, [batchSize], device: device),
            tensor(rewards, [batchSize], device: device),
            tensor(nextStates, [batchSize, d], device: device),
            tensor(terminated, [batchSize], device: device));
    }
}
