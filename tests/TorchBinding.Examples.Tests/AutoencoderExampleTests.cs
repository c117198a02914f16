namespace TorchBinding.Examples.Tests;

/// <summary>
/// The fast modes of the autoencoder examples. Each bound is what the fast mode must still show, with the value
/// measured (seed 42, 1 thread) next to it; the full-mode numbers are in the README.
/// </summary>
[Category("Examples")]
public class AutoencoderExampleTests
{
    [Test]
    public void Autoencoders_pca_matches_the_linear_ae_and_every_model_beats_its_baseline()
    {
        // The first run on a machine also trains the MNIST feature network of the classifier FID (about 40 s),
        // which is then cached; later runs take about 25 s.
        using var run = ExampleRun.Fast("Autoencoders");
        run.AssertCompleted("pca_vs_linear_ae.png", "ae_embedding.png", "ae_reconstructions.png", "denoising.png",
            "vae_manifold.png", "vae_latent.png", "vae16_samples.png", "generated_comparison.png");
        Assert.Multiple(() =>
        {
            // Full-batch Adam reaches PCA's minimum: measured 0.21° after the fast mode's 400 steps (the bound is 1°).
            Assert.That(run["pca_max_principal_angle_degrees"], Is.LessThan(1.0));
            Assert.That(run["linear_ae_loss"], Is.EqualTo(run["pca_reconstruction_mse"]).Within(1e-4), "the linear AE's loss is PCA's rank-k error");
            // One epoch on 6000 images: measured 0.053 against the mean image's 0.067; a course AE that learned
            // nothing stays at the baseline.
            Assert.That(run["ae_final_train_loss"], Is.LessThan(0.9 * run["mean_image_mse"]));
            // Measured +6.4 dB (9.4 → 15.8 dB) after one epoch on 6000 images.
            Assert.That(run["denoising_psnr_gain_db"], Is.GreaterThan(3));
            // Measured −185 nats after two epochs on 6000 images; independent Bernoullis with the mean image's
            // probabilities give about −206, an untrained decoder (p = ½) −543.
            Assert.That(run["vae_test_elbo"], Is.GreaterThan(run["mean_image_log_likelihood"]).And.LessThan(0));
            // Real digits are the floor of the classifier FID: measured 26 against 689 for the AE's "generated"
            // digits and over 1000 for the barely trained VAEs.
            Assert.That(run["real_classifier_fid"], Is.LessThan(run["ae_generated_classifier_fid"]));
            Assert.That(run["real_classifier_fid"], Is.LessThan(run["vae16_classifier_fid"]));
        });
    }

    [Test]
    public void VqVae_uses_about_four_codes_on_the_mixture_and_many_on_mnist()
    {
        using var run = ExampleRun.Fast("VqVae");
        run.AssertCompleted("vqvae_2d.png", "perplexity.png", "mnist_reconstructions.png", "mnist_code_usage.png");
        Assert.Multiple(() =>
        {
            // With seed 42, 60 epochs already settle on one code per cluster: measured perplexity 3.98, reconstruction
            // 0.33. (Other seeds can end with 5–7 codes in use, as the example's comment lists.)
            Assert.That(run["perplexity"], Is.InRange(3.5, 4.5));
            Assert.That(run["reconstruction_loss"], Is.LessThanOrEqualTo(0.6));
            Assert.That(run["codes_used"], Is.EqualTo(4));
            // One epoch on 6000 images with EMA updates and dead-code restarts: measured perplexity 10.2 of 64 and
            // MSE 0.028 (the mean image: 0.067). Without restarts the same run used fewer codes (perplexity 3.7 with
            // the codebook loss, 5.2 with EMA updates), so the bound of 7 checks that the restarts work.
            Assert.That(run["mnist_perplexity"], Is.GreaterThan(7));
            Assert.That(run["mnist_reconstruction_mse"], Is.LessThan(0.6 * run["mnist_mean_image_mse"]));
        });
    }
}
