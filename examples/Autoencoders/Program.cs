// Autoencoders: learn to reproduce the input through a narrow code.
// (a) PCA is the optimal linear autoencoder: on the centred 8x8 digits, a linear encoder and decoder trained on
//     the squared error span the subspace of the top-k principal components (found by torch.linalg.svd), though
//     in another basis; the principal angles between the two subspaces are ~0.
// (b) The course's deep autoencoder (autoenncoders.ipynb): MNIST minus the training set's mean image,
//     784→1000→500→250→2 and back with ReLU and linear code and output (2,823,286 parameters), MSE, Adam 1e-3,
//     batch 64, 5 epochs; the course logs a batch loss of 0.0393 at the end. Its 2-D code is an embedding to plot,
//     and decoding codes + 0.5·noise "generates" digits, but nothing makes its code space a distribution.
// (c) A denoising autoencoder: Gaussian noise on the input, the clean image as the target; PSNR before and after.
// (d) The variational autoencoder makes the code space a distribution: a 2-D VAE gives the classic manifold of
//     decoded latent points and a test ELBO in nats; a 16-D VAE's samples are compared with the plain
//     autoencoder's "generated" digits by a classifier FID (the Fréchet distance on the features of a small MNIST
//     CNN; not the Inception FID, so its numbers do not compare with papers').
using TorchBinding.Activations;
using TorchBinding.Models.Autoencoders;
using TorchBinding.Models.Evaluation;
using TorchBinding.Plots.Charts;
using TorchBinding.Plots.Images;

var run = ExperimentRun.Start(args, "autoencoders", "PCA and the linear AE, the course AE, a denoising AE, VAEs and a classifier FID",
    new ExtraOption("ae-epochs", "epochs of the course autoencoder", "5", FastDefault: "1"),
    new ExtraOption("denoise-epochs", "epochs of the denoising autoencoder", "3", FastDefault: "1"),
    new ExtraOption("vae-epochs", "epochs of each VAE", "10", FastDefault: "2"),
    new ExtraOption("noise", "standard deviation of the denoising noise", "0.5"));
if (run is null)
    return;
var fast = run.Fast;

// The images of a batch [N, 1, 28, 28] (or [N, 784]) as a grid, pixels shown over [0, 1].
void SaveDigits(string file, string title, Tensor images, IReadOnlyList<string>? captions = null, int columns = 10)
{
    var grid = ImageGrid.FromBatch(images.detach().cpu().reshape(-1, 1, 28, 28).clamp(0, 1), captions);
    (grid.Columns, grid.Min, grid.Max, grid.Title) = (columns, 0, 1, title);
    grid.Save(run.PathFor(file));
}

// ---- (a) PCA and the linear autoencoder on the 8x8 digits ---------------------------------------------------
{
    const int k = 4; // λ4 = 0.395 stands well clear of λ5 = 0.272, so the top-4 subspace is well defined
    using var digits = Digits.Load();
    using var scope = NewDisposeScope();
    var centred = digits.WithInputs(digits.Inputs - digits.Inputs.mean([0], keepdim: true));
    using var pca = Pca.Fit(centred.Inputs, k);
    var linear = new Autoencoder(new AutoencoderOptions { EncoderSizes = [64, k], Activation = Activation.Identity }).to(run.Device);
    // Full-batch Adam: the exact gradient of the MSE, so the loss settles at PCA's minimum (≈ 0.0376).
    var history = new Trainer(new AutoencoderStep(linear), Optim.Adam(0.01),
        run.TrainerOptions with { Epochs = fast ? 400 : 1000, BatchSize = Digits.Count, Progress = false }).Fit(centred);
    var decoder = linear.modules().OfType<TorchSharp.Modules.Linear>().Last().weight!.detach().cpu(); // [64, k]: spans the AE's output plane
    var angles = Pca.PrincipalAngles(pca.Components.t(), decoder);
    var bestLoss = (centred.Inputs - pca.InverseTransform(pca.Transform(centred.Inputs)).to(float32)).square().mean().item<float>();
    run.Report("pca_max_principal_angle_degrees", angles.Max(), $"largest principal angle between PCA's top-{k} subspace and the linear AE's", "F4");
    run.Report("pca_explained_variance", pca.ExplainedFraction, $"variance explained by {k} components", "P1");
    run.Metric("linear_ae_loss", history.Last("train_loss")!.Value);
    run.Metric("pca_reconstruction_mse", bestLoss);
    Console.WriteLine($"  linear AE loss {history.Last("train_loss"):F5} vs PCA's rank-{k} reconstruction MSE {bestLoss:F5}");

    // Both bases as 8x8 images, and the AE's basis rotated onto PCA's (orthogonal Procrustes): the same plane.
    var aeBasis = decoder.t().to(float64);                                            // [k, 64]
    var (u, _, vt) = linalg.svd(pca.Components.matmul(aeBasis.t()));                  // R = argmin ‖R·AE − PCA‖
    var aligned = u.matmul(vt).matmul(aeBasis);
    Tensor Unit(Tensor rows) => rows / rows.norm(1, true, 2f);
    var images = cat([pca.Components, Unit(aeBasis), Unit(aligned)], 0).reshape(3 * k, 1, 8, 8);
    var limit = images.abs().max().item<double>();
    var grid = ImageGrid.FromBatch(images, [.. Enumerable.Range(1, k).Select(i => $"PC {i}"), .. Enumerable.Range(1, k).Select(i => $"AE column {i}"),
        .. Enumerable.Range(1, k).Select(i => $"AE rotated {i}")]);
    (grid.Columns, grid.Min, grid.Max, grid.Colormap, grid.Width, grid.Height) = (k, -limit, limit, Colormap.Balance, 760, 620);
    grid.Title = $"PCs, linear AE columns, AE rotated onto PCs: max angle {angles.Max():F3}°";
    grid.Save(run.PathFor("pca_vs_linear_ae.png"));
}

// ---- MNIST -----------------------------------------------------------------------------------------------------
using var fullTrain = Mnist.Load(DatasetPart.Train);
using var fullTest = Mnist.Load(DatasetPart.Test);
// The fast mode trains each model on the first 6000 training images and measures on the first 2000 test images.
using var trainSubset = fast ? fullTrain.Take(6000) : null;
using var testSubset = fast ? fullTest.Take(2000) : null;
var (train, test) = (trainSubset ?? fullTrain, testSubset ?? fullTest);
Console.WriteLine($"  MNIST: {train.Count} training and {test.Count} test images");

// ---- (b) The course's deep autoencoder on mean-centred MNIST ---------------------------------------------------
using var meanImage = train.Inputs.mean([0], keepdim: true);                       // the training set's mean only
using var centredTrain = train.WithInputs(train.Inputs - meanImage);
using var centredTest = test.WithInputs(test.Inputs - meanImage);
var course = Autoencoder.Course().to(run.Device);
Console.WriteLine($"  course autoencoder: {course.ParameterCount():N0} parameters");
var aeHistory = new Trainer(new AutoencoderStep(course), Optim.Adam(1e-3),
    run.TrainerOptions with { Epochs = run.Options.GetInt("ae-epochs"), BatchSize = 64 }).Fit(centredTrain, centredTest);
var aeLoss = run.Report("ae_final_train_loss", aeHistory.Last("train_loss")!.Value, "course AE, last epoch's mean training loss (course: 0.0393 for its last logged batch)", "F4");
run.Metric("ae_test_loss", aeHistory.Last("val_loss")!.Value);
// The baseline: predicting the mean image for every digit (0 on centred data) has this test MSE.
using (var variance = centredTest.Inputs.square().mean())
    run.Report("mean_image_mse", variance.item<float>(), "test MSE of predicting the mean image (the baseline)", "F4");

course.eval();
Tensor aeGenerated;
using (no_grad())
{
    var codes = new List<Tensor>();
    foreach (var batch in centredTest.Batches(1000, new BatchOptions { Shuffle = false, Device = run.Device }))
        codes.Add(course.Encode(batch.Inputs).cpu());
    using var embedding = cat(codes, 0);
    new ScatterChart { Title = "2D embeddings of the MNIST test set (course autoencoder)", XLabel = "code 1", YLabel = "code 2", MarkerSize = 3 }
        .AddClasses(embedding, test.Targets, Mnist.ClassNames)
        .Save(run.PathFor("ae_embedding.png"));

    // Reconstructions, and the course's "generated" digits: decode(code + 0.5·noise) of the first test batch.
    using var scope = NewDisposeScope();
    var first = centredTest.Inputs[..64].to(run.Device);
    var code = course.Encode(first);
    var reconstructed = course.Decode(code).cpu().reshape(-1, 1, 28, 28) + meanImage;
    var generated = course.Decode(code + 0.5 * randn_like(code)).cpu().reshape(-1, 1, 28, 28) + meanImage;
    SaveDigits("ae_reconstructions.png", $"Course autoencoder (2-D code): test digits, reconstructions and \"generated\" digits (code + 0.5·noise); mean added back",
        cat([test.Inputs[..10], reconstructed[..10], generated[..10]], 0),
        [.. Enumerable.Repeat("original", 10), .. Enumerable.Repeat("reconstructed", 10), .. Enumerable.Repeat("generated", 10)]);
    // For the FID below: "generated" digits for as many test images as there are, the same way.
    var all = new List<Tensor>();
    foreach (var batch in centredTest.Batches(1000, new BatchOptions { Shuffle = false, Device = run.Device }))
    {
        var c = course.Encode(batch.Inputs);
        all.Add((course.Decode(c + 0.5 * randn_like(c)).cpu().reshape(-1, 1, 28, 28) + meanImage).clamp(0, 1));
    }
    aeGenerated = cat(all, 0).MoveToOuterDisposeScope();
}

// ---- (c) Denoising -------------------------------------------------------------------------------------------
var noiseStd = run.Options.GetDouble("noise");
// A convolutional autoencoder whose code is its 32x7x7 feature map; linear output, MSE against the clean image.
var denoiser = new ConvAutoencoder(new ConvAutoencoderOptions { LatentSize = null }).to(run.Device);
using var trainingNoise = NoiseModel.Gaussian(noiseStd, clamp: true, seed: run.Seed);
new Trainer(new AutoencoderStep(denoiser, noise: trainingNoise), Optim.Adam(2e-3),
    run.TrainerOptions with { Epochs = run.Options.GetInt("denoise-epochs"), BatchSize = 128 }).Fit(train);
denoiser.eval();
double Psnr(double mse) => 10 * Math.Log10(1 / mse);                             // pixels in [0, 1]: peak 1
using (no_grad())
using (NewDisposeScope())
{
    using var testNoise = NoiseModel.Gaussian(noiseStd, clamp: true, seed: run.Seed + 1);
    double noisyError = 0, denoisedError = 0;
    Tensor? shown = null;
    foreach (var batch in test.Batches(1000, new BatchOptions { Shuffle = false, Device = run.Device }))
    {
        var noisy = testNoise.Apply(batch.Inputs);
        var denoised = denoiser.call(noisy).clamp(0, 1);
        noisyError += (noisy - batch.Inputs).square().sum().item<float>();
        denoisedError += (denoised - batch.Inputs).square().sum().item<float>();
        shown ??= cat([batch.Inputs[..10], noisy[..10], denoised[..10]], 0).cpu();
    }
    var pixels = test.Count * 784.0;
    var before = run.Report("denoising_psnr_before_db", Psnr(noisyError / pixels), $"PSNR of the noisy test images (Gaussian σ = {noiseStd}, clamped)", "F2");
    var after = run.Report("denoising_psnr_after_db", Psnr(denoisedError / pixels), "PSNR after denoising", "F2");
    run.Report("denoising_psnr_gain_db", after - before, "denoising PSNR gain (dB)", "F2");
    SaveDigits("denoising.png", $"Denoising autoencoder: clean, noisy (σ = {noiseStd}, PSNR {before:F1} dB), denoised (PSNR {after:F1} dB)", shown!,
        [.. Enumerable.Repeat("clean", 10), .. Enumerable.Repeat("noisy", 10), .. Enumerable.Repeat("denoised", 10)]);
}

// ---- (d) Variational autoencoders ------------------------------------------------------------------------------
VariationalAutoencoder TrainVae(int latent)
{
    var vae = new VariationalAutoencoder(new VariationalAutoencoderOptions { LatentSize = latent }).to(run.Device);
    Console.WriteLine($"  VAE with a {latent}-D latent space: {vae.ParameterCount():N0} parameters (784-512-256-{latent}, Bernoulli decoder)");
    new Trainer(new VariationalAutoencoderStep(vae), Optim.Adam(1e-3),
        run.TrainerOptions with { Epochs = run.Options.GetInt("vae-epochs"), BatchSize = 128 }).Fit(train);
    vae.eval();
    return vae;
}

var vae2 = TrainVae(2);
var elbo = run.Report("vae_test_elbo", vae2.EvidenceLowerBound(test.Inputs.to(run.Device), samples: 10, seed: run.Seed), "2-D VAE: test ELBO (nats per image, 10 draws of z)", "F2");
// The baseline: the log-likelihood of the test digits under independent Bernoullis with the training mean image's probabilities.
using (var p = meanImage.clamp(1e-6, 1 - 1e-6))
using (var logLikelihood = (test.Inputs * p.log() + (1 - test.Inputs) * (1 - p).log()).sum([1, 2, 3]).mean())
    run.Report("mean_image_log_likelihood", logLikelihood.item<float>(), "test log-likelihood of the mean image as Bernoulli probabilities (nats, the baseline)", "F2");
using (no_grad())
using (NewDisposeScope())
{
    // The manifold: decoded z on a 20x20 grid of the prior's quantiles Φ⁻¹(0.05 … 0.95) per axis.
    const int n = 20;
    var quantiles = linspace(0.05, 0.95, n, dtype: float32);
    var z = (Math.Sqrt(2) * (2 * quantiles - 1).erfinv());
    var grid = stack([z.repeat(n), z.flip(0).repeat_interleave(n)], 1);         // rows top to bottom: z₂ from high to low
    var decoded = vae2.Decode(grid.to(run.Device)).cpu().reshape(n, n, 28, 28);
    var manifold = decoded.permute(0, 2, 1, 3).reshape(n * 28, n * 28);
    new ImageFigure(manifold) { Title = "2-D VAE: decoded grid of z (prior quantiles 5–95 %)", Min = 0, Max = 1 }.Save(run.PathFor("vae_manifold.png"));

    var means = new List<Tensor>();
    foreach (var batch in test.Batches(1000, new BatchOptions { Shuffle = false, Device = run.Device }))
        means.Add(vae2.Encode(batch.Inputs).cpu());
    new ScatterChart { Title = "2-D VAE: posterior means of the test set", XLabel = "z₁", YLabel = "z₂", MarkerSize = 3 }
        .AddClasses(cat(means, 0), test.Targets, Mnist.ClassNames)
        .Save(run.PathFor("vae_latent.png"));
}

var vae16 = TrainVae(16);
run.Metric("vae16_test_elbo", vae16.EvidenceLowerBound(test.Inputs.to(run.Device), samples: 10, seed: run.Seed));
Console.WriteLine($"  16-D VAE: test ELBO {run.Metrics["vae16_test_elbo"]:F2} nats per image");

// Classifier FID of each generator against the test images (as many samples as test images), and of real
// training images as the floor.
using var extractor = MnistFeatureExtractor.Load(new MnistFeatureOptions { Device = run.Device });
Console.WriteLine($"  MNIST feature network (classifier FID): test accuracy {extractor.TestAccuracy:P2}{(extractor.TrainedNow ? ", trained now and cached" : ", from the cache")}");
using (no_grad())
using (NewDisposeScope())
{
    var samples16 = vae16.Sample(test.Count, seed: run.Seed).cpu().reshape(-1, 1, 28, 28);
    var samples2 = vae2.Sample(test.Count, seed: run.Seed).cpu().reshape(-1, 1, 28, 28);
    var real = train.Inputs[..test.Count];
    var fidReal = run.Report("real_classifier_fid", extractor.FrechetDistance(real, test.Inputs), "classifier FID, real training vs test digits (the floor)", "F2");
    var fidAe = run.Report("ae_generated_classifier_fid", extractor.FrechetDistance(aeGenerated, test.Inputs), "classifier FID, course AE \"generated\" digits", "F2");
    var fid2 = run.Report("vae2_classifier_fid", extractor.FrechetDistance(samples2, test.Inputs), "classifier FID, 2-D VAE samples", "F2");
    var fid16 = run.Report("vae16_classifier_fid", extractor.FrechetDistance(samples16, test.Inputs), "classifier FID, 16-D VAE samples", "F2");
    SaveDigits("generated_comparison.png",
        $"Generated digits: course AE code + 0.5·noise (classifier FID {fidAe:F1}), 2-D VAE (FID {fid2:F1}), 16-D VAE (FID {fid16:F1}); real digits: FID {fidReal:F1}",
        cat([aeGenerated[..10], samples2[..10], samples16[..10]], 0),
        [.. Enumerable.Repeat("AE", 10), .. Enumerable.Repeat("VAE 2-D", 10), .. Enumerable.Repeat("VAE 16-D", 10)]);
    SaveDigits("vae16_samples.png", $"16-D VAE: 50 samples of the prior, decoded (classifier FID {fid16:F1})", samples16[..50]);
}
aeGenerated.Dispose();

run.Finish($"Autoencoders: PCA vs linear AE max angle {run.Metrics["pca_max_principal_angle_degrees"]:F3}°, course AE loss {aeLoss:F4} (course 0.0393), " +
    $"denoising +{run.Metrics["denoising_psnr_gain_db"]:F1} dB, 2-D VAE test ELBO {elbo:F1} nats, classifier FID 16-D VAE {run.Metrics["vae16_classifier_fid"]:F1} vs AE {run.Metrics["ae_generated_classifier_fid"]:F1}");
