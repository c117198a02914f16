// Reinforcement learning: an agent learns by trial and error which action to take in each state, from rewards
// alone. Deep Q-learning fits Q(s, a), the expected discounted reward of action a in state s, by regression on
// r + γ·max Q(s′, ·) over replayed experience. The course's notebooks (RL-MagLev) apply it to two environments of
// their own, here as plain C# classes with their exact rules:
// 1. The magnetic levitator: Q-net 2→200 ReLU→2, Adam 0.005, γ 0.98, replay 10k, batch 64, ε 0.9 → 0.01
//    (time constant 1000 steps), 70 episodes of 501 steps. The course: median final error 0.128, 51 of 70
//    episodes end within 0.5 of the target.
// 2. Cat and mouse: Q-net 4→64 tanh→8, Adam 0.0025 with weight decay 5e-3, γ 0.85, batch 128, ε 0.9 → 0.05
//    (time constant 10000 steps), 300 episodes. The course: 117 of 300 training episodes end in an escape (39 %).
// Both notebooks fit Q against the network being trained itself, with no target network and no terminal
// masking. 3. CartPole with Gymnasium's dynamics, the field's yardstick, shows what that costs: without a target
// network the Q-values run away and nothing is learned, a target network (Mnih et al. 2015) learns it, Double DQN
// (van Hasselt et al. 2016) also removes max's overestimation of Q, and REINFORCE with a value baseline learns it
// by policy gradient instead. The fast mode plays 40 maglev episodes, 80 cat-and-mouse episodes with ε falling
// five times faster, and 80 CartPole episodes of DQN with a target network only.
using TorchBinding.Activations;
using TorchBinding.Models.Reinforcement;
using TorchBinding.Plots.Charts;
using static TorchSharp.torch.nn;

var run = ExperimentRun.Start(args, "reinforcement_learning", "DQN for the course's magnetic levitator and cat and mouse; DQN variants and REINFORCE on CartPole",
    new ExtraOption("parts", "what to run: maglev, catmouse, cartpole (comma-separated)", "maglev,catmouse,cartpole"));
if (run is null)
    return;
var parts = run.Options.GetString("parts").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
var seed = run.Seed;

// Each part starts from the run's seed, so that it gives the same result alone (--parts) as with the others.
bool Part(string name)
{
    if (!parts.Contains(name))
        return false;
    TorchBinding.Runtime.Seeding.SeedEverything(seed);
    return true;
}

Func<Module<Tensor, Tensor>> Network(Activation activation, params int[] sizes) =>
    () => new Mlp(new MlpOptions { Sizes = sizes, Activation = activation });

static double[] MovingAverage(IReadOnlyList<double> values, int window) =>
    values.Select((_, i) => values.Skip(Math.Max(0, i - window + 1)).Take(Math.Min(window, i + 1)).Average()).ToArray();

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

// ---------------------------------------------------------------------------------------------------------
// 1. The magnetic levitator, with the course's settings.
if (Part("maglev"))
{
    var episodes = run.Fast ? 40 : 70;
    Console.WriteLine($"  MagLev: DQN 2-200-2, {episodes} episodes of 501 steps (course settings: no target network, episodes run through leaving the box)");
    var maglev = new MagLevEnvironment();
    using var agent = new DqnAgent(Network(Activation.ReLU, 2, 200, 2), 2, 2, new DqnOptions
    {
        Gamma = 0.98, LearningRate = 0.005, ReplayCapacity = 10_000, BatchSize = 64,
        Epsilon = new EpsilonSchedule(0.9, 0.01, 1000), TargetUpdateInterval = null, MaskTerminalStates = false,
    }, seed: seed);
    var finalErrors = new List<double>();
    var returns = new List<double>();
    var clock = Stopwatch.StartNew();
    for (var e = 0; e < episodes; e++)
    {
        var result = agent.RunEpisode(maglev, new EpisodeOptions { StopOnTermination = false });
        finalErrors.Add(maglev.Error);
        returns.Add(result.Return);
        if (e % 10 == 9 || e == episodes - 1)
            Console.WriteLine($"    episode {e + 1,3}: final position error {maglev.Error:F3}, return {result.Return:F0}, ε {agent.Epsilon:F3}, {clock.Elapsed.TotalSeconds:F0} s");
    }
    var last20 = finalErrors.TakeLast(20).ToArray();
    run.Report("maglev_last20_within_fraction", last20.Count(x => x < 0.5) / (double)last20.Length, "MagLev: last 20 episodes ending within 0.5 of the target", "P0");
    run.Report("maglev_episodes_within", finalErrors.Count(x => x < 0.5), $"MagLev: episodes ending within 0.5, of {episodes} (course: 51 of 70)", "N0");
    run.Report("maglev_median_final_error", Median(finalErrors), "MagLev: median final position error (course: 0.128)", "F3");

    // The course's test: from x = 3, v = −1, 500 greedy steps.
    var heights = new List<double> { 3.0 };
    var visited = new List<double[]> { new[] { -1.0, 3.0 } };
    var actions = new List<long>();
    Episodes.Run(maglev, agent.GreedyAction, new EpisodeOptions
    {
        Start = env => ((MagLevEnvironment)env).ResetTo(3.0, -1.0),
        MaxSteps = 500,
        StopOnTermination = false,
        OnStep = (_, action, step) => { heights.Add(step.Observation[1]); visited.Add(step.Observation); actions.Add(action); },
    });
    var firstWithin = heights.FindIndex(h => Math.Abs(h - 5) < 0.5);
    run.Report("maglev_test_final_error", Math.Abs(heights[^1] - 5), "MagLev test from x = 3, v = −1: final error after 500 steps (course: 0.194)", "F3");
    run.Report("maglev_test_steps_to_target", firstWithin, "MagLev test: first step within 0.5 of the target (course: 133)", "N0");

    var steps = Enumerable.Range(0, heights.Count).Select(i => (double)i).ToArray();
    new MultiPanelFigure(columns: 2) { Title = "Magnetic levitation by deep Q-learning (course settings)", PanelWidth = 560, PanelHeight = 380 }
        .Add(new LineChart { XLabel = "step (10 ms)", YLabel = "height x", YMin = 0, YMax = 10 }
            .Add("ball", steps, heights.ToArray(), markers: false)
            .Add("target ± 0.5", [0.0, steps[^1]], [5.5, 5.5], Palette.Get(1, 2), dashed: true, width: 1.5f, markers: false)
            .Add(null, [0.0, steps[^1]], [4.5, 4.5], Palette.Get(1, 2), dashed: true, width: 1.5f, markers: false), "Test: height over time from x = 3, v = −1")
        .Add(new LineChart { XLabel = "episode", YLabel = "|x − 5| after 501 steps", LogY = true }
            .Add("final error", finalErrors.ToArray())
            .Add("0.5", [1.0, episodes], [0.5, 0.5], Palette.Get(1, 2), dashed: true, width: 1.5f, markers: false), "Final position error per training episode")
        .Add(new LineChart { XLabel = "episode", YLabel = "return (501 steps)" }.Add("return", returns.ToArray()), "Training reward per episode")
        .Add(new DecisionBoundaryChart(x => agent.Network.call(x), tensor(visited.SelectMany(o => o.Select(v => (float)v)).ToArray(), [visited.Count, 2]),
                actions.Append(agent.GreedyAction(visited[^1])).ToArray(), ["magnet off", "magnet on"]) { XLabel = "velocity v", YLabel = "height x", MarkerSize = 4, Style = BoundaryStyle.Regions },
            "Greedy policy around the test trajectory")
        .Save(run.PathFor("maglev.png"));
}

// ---------------------------------------------------------------------------------------------------------
// 2. Cat and mouse, with the course's settings.
if (Part("catmouse"))
{
    // The fast mode lets ε fall five times faster (time constant 2000 steps) so that 80 episodes show learning.
    var (episodes, epsilonSteps) = run.Fast ? (80, 2000) : (300, 10_000);
    Console.WriteLine($"  CatMouse: DQN 4-64-8, {episodes} episodes (course settings{(run.Fast ? ", ε time constant 2000 steps" : "")})");
    var pond = new CatMouseEnvironment();
    using var agent = new DqnAgent(Network(Activation.Tanh, 4, 64, 8), 4, 8, new DqnOptions
    {
        Gamma = 0.85, LearningRate = 0.0025, WeightDecay = 5e-3, ReplayCapacity = 10_000, BatchSize = 128,
        Epsilon = new EpsilonSchedule(0.9, 0.05, epsilonSteps), TargetUpdateInterval = null, MaskTerminalStates = false,
    }, seed: seed);
    var escaped = new List<double>();
    var returns = new List<double>();
    var clock = Stopwatch.StartNew();
    for (var e = 0; e < episodes; e++)
    {
        var result = agent.RunEpisode(pond);
        escaped.Add(pond.Outcome == CatMouseOutcome.Escaped ? 1 : 0);
        returns.Add(result.Return);
        if (e % 50 == 49 || e == episodes - 1)
            Console.WriteLine($"    episode {e + 1,3}: escapes in the last 50: {escaped.TakeLast(50).Sum():N0}, ε {agent.Epsilon:F3}, {clock.Elapsed.TotalSeconds:F0} s");
    }
    run.Report("catmouse_escape_rate", escaped.Average(), $"CatMouse: escapes in {episodes} training episodes (course: 117 of 300, 39 %)", "P1");
    run.Report("catmouse_last50_escape_rate", escaped.TakeLast(50).Average(), "CatMouse: escapes in the last 50 training episodes (course: 20 of 50)", "P0");

    // The course's test: the mouse starts at the centre, the cat anywhere on the rim; greedy actions.
    var tests = run.Fast ? 50 : 200;
    var paths = new List<(List<(double X, double Y)> Mouse, List<(double X, double Y)> Cat, CatMouseOutcome Outcome)>();
    var testEscapes = 0;
    var angles = new Random(seed + 1);
    for (var i = 0; i < tests; i++)
    {
        var mouse = new List<(double X, double Y)> { (0, 0) };
        var cat = new List<(double X, double Y)>();
        Episodes.Run(pond, agent.GreedyAction, new EpisodeOptions
        {
            Start = env => { var o = ((CatMouseEnvironment)env).ResetTo(0, 0, Math.PI * (2 * angles.NextDouble() - 1)); cat.Add(pond.Cat); return o; },
            OnStep = (_, _, _) => { mouse.Add(pond.Mouse); cat.Add(pond.Cat); },
        });
        if (pond.Outcome == CatMouseOutcome.Escaped)
            testEscapes++;
        paths.Add((mouse, cat, pond.Outcome));
    }
    run.Report("catmouse_test_escape_rate", testEscapes / (double)tests, $"CatMouse test: escapes from the centre in {tests} greedy episodes (course: not saved)", "P1");

    var blocks = Enumerable.Range(0, episodes / 50).Select(b => escaped.Skip(50 * b).Take(50).Average()).ToArray();
    new MultiPanelFigure(columns: 2) { Title = "Cat and mouse by deep Q-learning (course settings)", PanelWidth = 560, PanelHeight = 380 }
        .Add(new LineChart { XLabel = "episode", YLabel = "return (sum of the course's rewards)" }.Add("return", returns.ToArray(), markers: false).Add("mean of 20", MovingAverage(returns, 20), width: 3, markers: false), "Training reward per episode")
        .Add(new LineChart { XLabel = "episode", YLabel = "escape rate", YMin = 0, YMax = 1 }.Add("escapes (mean of 50)", MovingAverage(escaped, 50), markers: false), "Escapes during training")
        .Save(run.PathFor("catmouse_training.png"));

    // Escape paths: up to four greedy test episodes, escapes first.
    var shown = paths.OrderBy(p => p.Outcome == CatMouseOutcome.Escaped ? 0 : 1).Take(4).ToList();
    var circle = Enumerable.Range(0, 201).Select(i => 2 * Math.PI * i / 200).ToArray();
    var figure = new MultiPanelFigure(columns: 2) { Title = "The mouse's path (blue) and the cat's on the rim (orange), from the centre", PanelWidth = 460, PanelHeight = 440 };
    foreach (var (mouse, cat, outcome) in shown)
    {
        var chart = new LineChart { EqualAxes = true, XMin = -1.35, XMax = 1.35, YMin = -1.35, YMax = 1.35, Legend = LegendPosition.Hidden }
            .Add(null, circle.Select(Math.Cos).ToArray(), circle.Select(Math.Sin).ToArray(), Theme(0x88), width: 1.5f, markers: false)
            .Add("cat", cat.Select(p => p.X * 1.04).ToArray(), cat.Select(p => p.Y * 1.04).ToArray(), Palette.Get(1, 2), width: 3, markers: false)
            .Add("mouse", mouse.Select(p => p.X).ToArray(), mouse.Select(p => p.Y).ToArray(), Palette.Get(0, 2), width: 2.5f, markers: false)
            .Add("cat start", [cat[0].X * 1.04], [cat[0].Y * 1.04], Palette.Get(1, 2), markers: true)
            .Add("cat end", [cat[^1].X * 1.04], [cat[^1].Y * 1.04], Theme(0x22), markers: true)
            .Add("mouse end", [mouse[^1].X], [mouse[^1].Y], Palette.Get(0, 2), markers: true);
        figure.Add(chart, $"{outcome} after {mouse.Count - 1} steps");
    }
    figure.Save(run.PathFor("catmouse_paths.png"));
}

// ---------------------------------------------------------------------------------------------------------
// 3. CartPole: what a target network, Double DQN and terminal masking change, and REINFORCE with a baseline.
if (Part("cartpole"))
{
    var episodes = run.Fast ? 80 : 300;
    var evaluationEpisodes = run.Fast ? 20 : 100;
    var curves = new LineChart { XLabel = "episode", YLabel = "return (mean of 20)", Legend = LegendPosition.Right };
    var values = new LineChart { XLabel = "episode", YLabel = "mean max Q of start states", LogY = true, Legend = LegendPosition.Right };
    var variants = new List<(string Key, string Name, DqnOptions Options)>
    {
        ("target", "DQN + target network", CartPoleDqn(targetInterval: 100, doubleDqn: false)),
        ("double", "Double DQN", CartPoleDqn(targetInterval: 100, doubleDqn: true)),
        ("no_target", "no target network (the course's update)", CartPoleDqn(targetInterval: null, doubleDqn: false)),
        ("course", "no target network, no terminal masking (the course)", CartPoleDqn(targetInterval: null, doubleDqn: false) with { MaskTerminalStates = false }),
    };
    if (run.Fast)
        variants = variants.Take(1).ToList();
    var colour = 0;
    foreach (var (key, name, options) in variants)
    {
        using var agent = new DqnAgent(Network(Activation.ReLU, 4, 128, 128, 2), 4, 2, options, seed: seed);
        // What the network believes a start state is worth (max Q, averaged over 100 start states): the true
        // discounted value of a 500-step episode is (1 − 0.99⁵⁰⁰)/(1 − 0.99) ≈ 99.3, and no state is worth more than 100.
        double StartValue() => Enumerable.Range(0, 100).Select(i => agent.QValues(new CartPoleEnvironment().Reset(2_000_000 + i)).Max()).Average();
        var training = TrainCartPole(name, episodes, e => agent.RunEpisode(new CartPoleEnvironment(), new EpisodeOptions { Seed = seed * 100_000 + e }).Return,
            agent.GreedyAction, agent.Network, StartValue);
        var mean = Episodes.Evaluate(new CartPoleEnvironment(), agent.GreedyAction, evaluationEpisodes, firstSeed: 1_000_000).Average();
        run.Report($"cartpole_{key}_mean_return", mean, $"CartPole, {name}: mean return of {evaluationEpisodes} greedy episodes (best checkpoint {training.Best:F0})", "F1");
        run.Report($"cartpole_{key}_final_start_q", training.Values[^1], $"CartPole, {name}: max Q of start states after training (true ≈ 99.3)", "F1");
        curves.Add(name, MovingAverage(training.Returns, 20), Palette.Get(colour, 5), markers: false);
        values.Add(name, training.ValueEpisodes.ToArray(), training.Values.ToArray(), Palette.Get(colour++, 5), markers: false);
    }
    run.Report("cartpole_mean_return", run.Metrics["cartpole_target_mean_return"], "CartPole: DQN with a target network, mean return over the evaluation episodes (target ≥ 195)", "F1");

    if (!run.Fast)
    {
        var policy = new Mlp(new MlpOptions { Sizes = [4, 128, 2], Activation = Activation.ReLU });
        var value = new Mlp(new MlpOptions { Sizes = [4, 128, 1], Activation = Activation.ReLU });
        using var reinforce = new ReinforceAgent(policy, value, 4, 2, new ReinforceOptions { Gamma = 0.99, LearningRate = 5e-3, BaselineLearningRate = 1e-2 }, seed: seed);
        var name = "REINFORCE with a value baseline";
        var training = TrainCartPole(name, 2 * episodes, e => reinforce.RunEpisode(new CartPoleEnvironment(), new EpisodeOptions { Seed = seed * 100_000 + e }).Return,
            reinforce.GreedyAction, reinforce.Policy);
        var mean = Episodes.Evaluate(new CartPoleEnvironment(), reinforce.GreedyAction, evaluationEpisodes, firstSeed: 1_000_000).Average();
        run.Report("cartpole_reinforce_mean_return", mean, $"CartPole, {name}: mean return of {evaluationEpisodes} greedy episodes (best checkpoint {training.Best:F0})", "F1");
        curves.Add(name, MovingAverage(training.Returns, 20), Palette.Get(4, 5), markers: false);
    }
    var longest = run.Fast ? episodes : 2.0 * episodes;
    curves.Add("solved (195)", [1.0, longest], [195.0, 195.0], Theme(0x88), dashed: true, width: 1.5f, markers: false);
    values.Add("true value ≈ 99.3", [1.0, episodes], [99.3, 99.3], Theme(0x88), dashed: true, width: 1.5f, markers: false);
    new MultiPanelFigure(columns: 1) { Title = "CartPole-v1: DQN with and without a target network, Double DQN, REINFORCE", PanelWidth = 1000, PanelHeight = 360 }
        .Add(curves, "Training return")
        .Add(values, "What the Q-network thinks a start state is worth")
        .Save(run.PathFor("cartpole_returns.png"));
}

var summary = new List<string>();
if (run.Metrics.TryGetValue("maglev_last20_within_fraction", out var m))
    summary.Add($"maglev last 20 within 0.5: {m:P0}");
if (run.Metrics.TryGetValue("catmouse_escape_rate", out var c))
    summary.Add($"cat and mouse escapes {c:P1}");
if (run.Metrics.TryGetValue("cartpole_mean_return", out var p))
    summary.Add($"CartPole DQN mean return {p:F1}");
run.Finish("ReinforcementLearning: " + string.Join("; ", summary));

// DQN for CartPole: 4-128-128-2 ReLU, Adam 2e-3, γ 0.99, replay 50k, batch 64, learning after 500 steps,
// ε 1 → 0.05 linearly over 2000 steps, Huber loss, gradient norm clipped at 10.
static DqnOptions CartPoleDqn(int? targetInterval, bool doubleDqn) => new()
{
    Gamma = 0.99, LearningRate = 2e-3, ReplayCapacity = 50_000, BatchSize = 64, LearningStarts = 500,
    Epsilon = new EpsilonSchedule(1.0, 0.05, 2_000, EpsilonDecay.Linear), TargetUpdateInterval = targetInterval,
    DoubleDqn = doubleDqn, MaxGradientNorm = 10,
};

// Trains for a number of episodes; every 10 episodes a greedy evaluation on 5 episodes picks the best weights
// seen so far, which are restored at the end (DQN's performance on CartPole swings from episode to episode).
// With a value function, its value of the start states is recorded at every evaluation, before the restore.
CartPoleTraining TrainCartPole(string name, int episodes, Func<int, double> trainEpisode, Func<double[], int> greedy,
    Module<Tensor, Tensor> network, Func<double>? startValue = null)
{
    var training = new CartPoleTraining([], double.NegativeInfinity, [], []);
    Dictionary<string, Tensor>? bestWeights = null;
    var clock = Stopwatch.StartNew();
    for (var e = 0; e < episodes; e++)
    {
        training.Returns.Add(trainEpisode(e));
        if (e % 10 == 9)
        {
            var score = Episodes.Evaluate(new CartPoleEnvironment(), greedy, 5, firstSeed: 500_000 + e).Average();
            if (score >= training.Best)
            {
                training = training with { Best = score };
                foreach (var t in bestWeights?.Values.ToArray() ?? [])
                    t.Dispose();
                bestWeights = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            }
            if (startValue is not null)
            {
                training.ValueEpisodes.Add(e + 1);
                training.Values.Add(startValue());
            }
        }
        if (e % 50 == 49 || e == episodes - 1)
            Console.WriteLine($"    {name}: episode {e + 1,4}, mean return of the last 50 {training.Returns.TakeLast(50).Average(),6:F1}, best evaluation {training.Best:F0}" +
                              (training.Values.Count > 0 ? $", Q of start states {training.Values[^1]:F1}" : "") + $", {clock.Elapsed.TotalSeconds:F0} s");
    }
    if (bestWeights is not null)
    {
        using (no_grad())
            foreach (var (key, parameter) in network.state_dict())
                parameter.copy_(bestWeights[key]);
        foreach (var t in bestWeights.Values)
            t.Dispose();
    }
    return training;
}

static SkiaSharp.SKColor Theme(byte grey) => new(grey, grey, grey);

/// <summary>A CartPole training run: the return per episode, the best periodic evaluation, and the start states' value over training.</summary>
record CartPoleTraining(List<double> Returns, double Best, List<double> ValueEpisodes, List<double> Values);
