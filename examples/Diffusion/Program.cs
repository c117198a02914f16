// Diffusion models, from one dimension to MNIST (DDPM, Ho et al. 2020). Noise is added in T small steps,
// x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε, and a network learns to predict ε from (x_t, t); sampling runs the steps backwards.
// Three parts, one file each, run in this order (each continues the run's random stream where the last left it):
// (a) OnTheLine.cs: the course's SimpleDiffusion in one dimension, its schedule's bias, and a cosine schedule.
// (b) InThePlane.cs: two moons in the plane, with the reverse trajectories of a few points drawn.
// (c) OnMnist.cs: MNIST with a time- and class-conditioned U-Net (classifier-free guidance); samples judged by an
//     MNIST classifier (confidence, "classifier FID"), for DDPM sampling and for DDIM with fewer steps.
var run = ExperimentRun.Start(args, "diffusion", "DDPM in 1-D (the course's SimpleDiffusion), 2-D (two moons) and on MNIST (a time-conditioned U-Net)",
    new ExtraOption("epochs-1d", "epochs of the 1-D model", "100", FastDefault: "10"),
    new ExtraOption("steps-2d", "training steps of the 2-D model", "4000", FastDefault: "600"),
    new ExtraOption("epochs-mnist", "epochs of the MNIST U-Net (4 keeps the example within 10 minutes on 2 cores; see the README for longer runs)", "4", FastDefault: "1"),
    new ExtraOption("min-snr-gamma", "γ of the min-SNR loss weighting of the MNIST U-Net (0: the plain noise MSE)", "5"),
    new ExtraOption("label-dropout", "how often the MNIST U-Net trains a digit as \"no class\" (the unconditional model)", "0.5"),
    new ExtraOption("ema-decay", "decay of the moving average of the MNIST U-Net's weights that samples (0: sample from the trained weights)", "0.999"),
    new ExtraOption("mnist-samples", "MNIST samples of the unconditional DDPM and of each DDIM sampler (FID, confident fraction)", "1000", FastDefault: "20"),
    new ExtraOption("conditional-samples", "MNIST samples asked for by digit: DDPM without guidance (FID, label accuracy)", "200", FastDefault: "20"),
    new ExtraOption("guided-samples", "MNIST samples with classifier-free guidance (DDIM, 50 steps)", "200", FastDefault: "100"));
if (run is null)
    return;

using (run.Section("1-D"))
    DiffusionOnTheLine.Run(run);
using (run.Section("two moons"))
    DiffusionInThePlane.Run(run);
using (run.Section("MNIST"))
    DiffusionOnMnist.Run(run);

run.Finish($"Diffusion: 1-D (cosine schedule) {run.Metrics["positive_mode_fraction"]:P1} in the N(0.75) mode (target 30 %), W1 {run.Metrics["w1"]:F4}; " +
    $"MNIST DDPM {run.Metrics["mnist_confident_fraction"]:P1} confident samples, classifier FID {run.Metrics["mnist_ddpm_fid"]:F2} " +
    $"(DDIM {run.Metrics["mnist_ddim_steps"]} steps {run.Metrics["mnist_ddim_fid"]:F2})");
