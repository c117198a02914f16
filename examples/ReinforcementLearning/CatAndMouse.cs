// 2. Cat and mouse, with the course's settings: Q-net 4→64 tanh→8, Adam 0.0025 with weight decay 5e-3, γ 0.85,
// batch 128, ε 0.9 → 0.05 (time constant 10000 steps), 300 episodes. The course: 117 of 300 training episodes end in
// an escape (39 %).
using TorchBinding.Activations;
using TorchBinding.Models.Reinforcement;
using TorchBinding.Plots.Charts;
using static Common;

static class CatAndMouse
{
    public static void Run(ExperimentRun run)
    {
        // The fast mode lets ε fall five times faster (time constant 2000 steps) so that 80 episodes show learning.
        var (episodes, epsilonSteps) = run.Fast ? (80, 2000) : (300, 10_000);
        var seeds = run.Options.GetSeeds("seeds", run.Seed);
        Console.WriteLine($"  CatMouse: DQN 4-64-8, {episodes} episodes (course settings{(run.Fast ? ", ε time constant 2000 steps" : "")}), seeds {string.Join(", ", seeds)}");

        // One training per seed: the escape rate of a single seed moves by several points (39.0, 25.7, 40.3 % at seeds
        // 42, 1, 2), so the headline is their mean. The first seed's agent is the one tested and drawn.
        // Each training has its own pond: an environment's generator is drawn from the seed at its first reset.
        (DqnAgent Agent, CatMouseEnvironment Pond, List<double> Escaped, List<double> Returns) Train(int seed)
        {
            TorchBinding.Runtime.Seeding.SeedEverything(seed);
            var pond = new CatMouseEnvironment();
            var agent = new DqnAgent(Network(Activation.Tanh, 4, 64, 8), 4, 8, new DqnOptions
            {
                Gamma = 0.85, LearningRate = 0.0025, WeightDecay = 5e-3, ReplayCapacity = 10_000, BatchSize = 128,
                Epsilon = new EpsilonSchedule(0.9, 0.05, epsilonSteps), TargetUpdateInterval = null, MaskTerminalStates = false,
                OptimizerImplementation = Common.RecordedAdam,
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
                    Console.WriteLine($"    seed {seed}, episode {e + 1,3}: escapes in the last 50: {escaped.TakeLast(50).Sum():N0}, ε {agent.Epsilon:F3}, {clock.Elapsed.TotalSeconds:F0} s");
            }
            return (agent, pond, escaped, returns);
        }

        var (agent, pond, escaped, returns) = Train(seeds[0]);
        using var shownAgent = agent;
        run.Report("catmouse_escape_rate", escaped.Average(), $"CatMouse (seed {seeds[0]}): escapes in {episodes} training episodes (course: 117 of 300, 39 %)", "P1");
        run.Report("catmouse_last50_escape_rate", escaped.TakeLast(50).Average(), $"CatMouse (seed {seeds[0]}): escapes in the last 50 training episodes (course: 20 of 50)", "P0");
        var rates = new List<(int Seed, double Value)> { (seeds[0], escaped.Average()) };
        foreach (var seed in seeds.Skip(1))
        {
            var other = Train(seed);
            using var otherAgent = other.Agent;
            rates.Add((seed, other.Escaped.Average()));
        }
        run.ReportOverSeeds("catmouse_escape_rate", rates, $"CatMouse: escapes in {episodes} training episodes (course: 39 %)", "P1");

        // The course's test: the mouse starts at the centre, the cat anywhere on the rim; greedy actions.
        var tests = run.Fast ? 50 : 200;
        var paths = new List<(List<(double X, double Y)> Mouse, List<(double X, double Y)> Cat, CatMouseOutcome Outcome)>();
        var testEscapes = 0;
        var angles = new Random(seeds[0] + 1);
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
}
