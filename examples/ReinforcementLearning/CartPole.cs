// 3. CartPole with Gymnasium's dynamics: what the course's update costs. Without a target network the Q-values run
// away and nothing is learned; a target network (Mnih et al. 2015) learns it; Double DQN (van Hasselt et al. 2016) also
// removes max's overestimation of Q; REINFORCE with a value baseline learns it by policy gradient instead.
using TorchBinding.Activations;
using TorchBinding.Models.Reinforcement;
using TorchBinding.Plots.Charts;
using static Common;
using static TorchSharp.torch.nn;

static class CartPole
{
    public static void Run(ExperimentRun run)
    {
        var episodes = run.Fast ? 80 : 300;
        var evaluationEpisodes = run.Fast ? 20 : 100;
        var curves = new LineChart { XLabel = "episode", YLabel = "return (mean of 20)", Legend = LegendPosition.Right };
        var values = new LineChart { XLabel = "episode", YLabel = "mean max Q of start states", LogY = true, Legend = LegendPosition.Right };
        var variants = new List<(string Key, string Name, DqnOptions Options)>
        {
            ("target", "DQN + target network", Dqn(targetInterval: 100, doubleDqn: false)),
            ("double", "Double DQN", Dqn(targetInterval: 100, doubleDqn: true)),
            ("no_target", "no target network (the course's update)", Dqn(targetInterval: null, doubleDqn: false)),
            ("course", "no target network, no terminal masking (the course)", Dqn(targetInterval: null, doubleDqn: false) with { MaskTerminalStates = false }),
        };
        if (run.Fast)
            variants = variants.Take(1).ToList();
        var colour = 0;
        foreach (var (key, name, options) in variants)
        {
            using var agent = new DqnAgent(Network(Activation.ReLU, 4, 128, 128, 2), 4, 2, options, seed: run.Seed);
            var training = Train(name, episodes, e => agent.RunEpisode(new CartPoleEnvironment(), new EpisodeOptions { Seed = run.Seed * 100_000 + e }).Return,
                agent.GreedyAction, agent.Network, () => StartValue(agent));
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
            using var reinforce = new ReinforceAgent(policy, value, 4, 2, new ReinforceOptions { Gamma = 0.99, LearningRate = 5e-3, BaselineLearningRate = 1e-2, OptimizerImplementation = Common.RecordedAdam }, seed: run.Seed);
            var name = "REINFORCE with a value baseline";
            var training = Train(name, 2 * episodes, e => reinforce.RunEpisode(new CartPoleEnvironment(), new EpisodeOptions { Seed = run.Seed * 100_000 + e }).Return,
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

    // DQN for CartPole: 4-128-128-2 ReLU, Adam 2e-3, γ 0.99, replay 50k, batch 64, learning after 500 steps,
    // ε 1 → 0.05 linearly over 2000 steps, Huber loss, gradient norm clipped at 10.
    static DqnOptions Dqn(int? targetInterval, bool doubleDqn) => new()
    {
        Gamma = 0.99, LearningRate = 2e-3, ReplayCapacity = 50_000, BatchSize = 64, LearningStarts = 500,
        Epsilon = new EpsilonSchedule(1.0, 0.05, 2_000, EpsilonDecay.Linear), TargetUpdateInterval = targetInterval,
        DoubleDqn = doubleDqn, MaxGradientNorm = 10, OptimizerImplementation = Common.RecordedAdam,
    };

    // What the network believes a start state is worth (max Q, averaged over 100 start states): the true discounted
    // value of a 500-step episode is (1 − 0.99⁵⁰⁰)/(1 − 0.99) ≈ 99.3, and no state is worth more than 100.
    static double StartValue(DqnAgent agent) =>
        Enumerable.Range(0, 100).Select(i => agent.QValues(new CartPoleEnvironment().Reset(2_000_000 + i)).Max()).Average();

    // Trains for a number of episodes; every 10 episodes a greedy evaluation on 5 episodes picks the best weights
    // seen so far, which are restored at the end (DQN's performance on CartPole swings from episode to episode).
    // With a value function, its value of the start states is recorded at every evaluation, before the restore.
    static CartPoleTraining Train(string name, int episodes, Func<int, double> trainEpisode, Func<double[], int> greedy,
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

    /// <summary>A CartPole training run: the return per episode, the best periodic evaluation, and the start states' value over training.</summary>
    record CartPoleTraining(List<double> Returns, double Best, List<double> ValueEpisodes, List<double> Values);
}
