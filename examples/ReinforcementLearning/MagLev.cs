// 1. The magnetic levitator, with the course's settings: Q-net 2→200 ReLU→2, Adam 0.005, γ 0.98, replay 10k, batch 64,
// ε 0.9 → 0.01 (time constant 1000 steps), 70 episodes of 501 steps, no target network, episodes run through leaving
// the box. The course: median final error 0.128, 51 of 70 episodes end within 0.5 of the target.
using TorchBinding.Activations;
using TorchBinding.Models.Reinforcement;
using TorchBinding.Plots.Charts;
using TorchBinding.Statistics;
using static Common;

static class MagLev
{
    public static void Run(ExperimentRun run)
    {
        var episodes = run.Fast ? 40 : 70;
        Console.WriteLine($"  MagLev: DQN 2-200-2, {episodes} episodes of 501 steps (course settings: no target network, episodes run through leaving the box)");
        var maglev = new MagLevEnvironment();
        using var agent = new DqnAgent(Network(Activation.ReLU, 2, 200, 2), 2, 2, new DqnOptions
        {
            Gamma = 0.98, LearningRate = 0.005, ReplayCapacity = 10_000, BatchSize = 64,
            Epsilon = new EpsilonSchedule(0.9, 0.01, 1000), TargetUpdateInterval = null, MaskTerminalStates = false,
            OptimizerImplementation = Common.RecordedAdam,
        }, seed: run.Seed);
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
        run.Report("maglev_median_final_error", Descriptive.Median(finalErrors), "MagLev: median final position error (course: 0.128)", "F3");

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
}
