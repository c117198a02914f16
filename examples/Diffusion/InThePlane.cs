// (b) Two dimensions: two moons, a sinusoidal time embedding, T = 100 on the cosine schedule; the reverse trajectories
// of a few points, by DDPM and by DDIM (η = 0) from the same starts.
using TorchBinding.Data.Synthetic;
using TorchBinding.Models.Generative;
using TorchBinding.Plots.Charts;

static class DiffusionInThePlane
{
    const int Paths = 12;

    public static void Run(ExperimentRun run)
    {
        using var moons = ToyClassification.Moons(8000, noise: 0.05, seed: run.Seed);
        using var moonSubset = moons.Inputs.index_select(0, arange(0, moons.Count, 4)); // 2000 points of both moons (the set is ordered by moon)
        var moonDdpm = new Ddpm(new DdpmOptions { Steps = 100, Schedule = BetaSchedule.Cosine });
        var moonModel = new DiffusionMlp(new DiffusionMlpOptions { DataSize = 2, Steps = 100, HiddenSizes = [128, 128, 128], TimeEncoding = TimeEncoding.Sinusoidal, TimeEmbeddingSize = 32 });
        moonModel.to(run.Device);
        var moonSteps = run.Options.GetInt("steps-2d");
        var moonBatches = moons.Count / 256;
        Console.WriteLine($"(b) 2-D: {moons.Count} points of two moons, {moonSteps} steps");
        new Trainer(new DiffusionStep(moonDdpm, moonModel), Optim.Adam(2e-3),
            run.TrainerOptions with { Epochs = (moonSteps + moonBatches - 1) / moonBatches, BatchSize = 256, DropLast = true }).Fit(moons);
        var trajectories = new List<float[]>();
        // Each step's estimate of x₀ is clipped to the data's range (±2.5): near t = T, ᾱ_t ≈ 1e-6 and x̂₀ = (x − √(1−ᾱ) ε̂)/√ᾱ
        // multiplies the network's error a thousandfold.
        using var moonSamples = moonDdpm.Sample(moonModel, 2000, new SamplingOptions
        {
            Seed = run.Seed,
            Device = run.Device,
            ClipDenoised = (-2.5, 2.5),
            OnStep = (_, x) => trajectories.Add(x.narrow(0, 0, Paths).cpu().data<float>().ToArray()),
        }).cpu();
        // The same starting points, deterministically (DDIM, η = 0, all 100 steps): the paths of the probability-flow ODE.
        var flows = new List<float[]>();
        using (moonDdpm.SampleDdim(moonModel, 2000, 100, new SamplingOptions { Seed = run.Seed, Device = run.Device, ClipDenoised = (-2.5, 2.5), OnStep = (_, x) => flows.Add(x.narrow(0, 0, Paths).cpu().data<float>().ToArray()) })) { }
        run.Report("moons_sliced_w1", WassersteinDistance.Sliced(moonSamples, moonSubset, seed: run.Seed), "two moons: sliced W1, 2000 samples vs 2000 data points", "F4");
        new MultiPanelFigure(columns: 4) { Title = "Diffusion in the plane: two moons (T = 100, cosine schedule)", PanelWidth = 400 }
            .Add(new ScatterChart { MarkerSize = 3, EqualAxes = true, Legend = LegendPosition.Hidden }.AddPoints("data", moonSubset[.., 0], moonSubset[.., 1]), "2000 data points")
            .Add(new ScatterChart { MarkerSize = 3, EqualAxes = true, Legend = LegendPosition.Hidden }.AddPoints("samples", moonSamples[.., 0], moonSamples[.., 1]), "2000 DDPM samples")
            .Add(Trajectories(trajectories), $"{Paths} DDPM reverse trajectories")
            .Add(Trajectories(flows), "the same starts with DDIM (η = 0)")
            .Save(run.PathFor("moons.png"));
    }

    static LineChart Trajectories(List<float[]> states)
    {
        var chart = new LineChart { XLabel = "x₁", YLabel = "x₂", ShowMarkers = false, Legend = LegendPosition.Hidden, XMin = -3, XMax = 4, YMin = -3, YMax = 3 };
        for (var i = 0; i < Paths; i++)
            chart.Add(null, states.Select(s => (double)s[2 * i]).ToArray(), states.Select(s => (double)s[2 * i + 1]).ToArray(), width: 1f);
        return chart;
    }
}
