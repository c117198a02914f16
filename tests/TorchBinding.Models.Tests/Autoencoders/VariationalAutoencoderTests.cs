using TorchBinding.Models.Autoencoders;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Autoencoders;

public class VariationalAutoencoderTests
{
    [SetUp]
    public void Seed() => manual_seed(4);

    [Test]
    public void The_closed_form_kl_matches_a_monte_carlo_estimate()
    {
        using var scope = NewDisposeScope();
        var mean = tensor(new[,] { { 0.5, -1.0, 2.0 }, { 0.0, 0.3, -0.7 } });
        var logVariance = tensor(new[,] { { 0.2, -1.5, 0.8 }, { 0.0, 1.0, -0.3 } });
        // KL(q ‖ p) = E_q[log q(z) − log p(z)], log N(z; μ, σ²) = −½ Σ ((z − μ)²/σ² + log σ² + log 2π), from 400,000 draws.
        const int draws = 400_000;
        var sigma = (0.5 * logVariance).exp();
        var z = mean.unsqueeze(0) + sigma.unsqueeze(0) * randn(draws, 2, 3, dtype: float64);
        var logQ = -0.5 * ((z - mean).square() / sigma.square() + logVariance + Math.Log(2 * Math.PI)).sum(dim: 2);
        var logP = -0.5 * (z.square() + Math.Log(2 * Math.PI)).sum(dim: 2);
        var terms = logQ - logP;
        var monteCarlo = terms.mean([0]);
        var standardError = terms.std(0) / Math.Sqrt(draws);
        var closedForm = VariationalAutoencoder.KlDivergence(mean, logVariance);
        Assert.That(closedForm.shape, Is.EqualTo(new long[] { 2 }));
        for (var i = 0; i < 2; i++)
        {
            Assert.That(closedForm[i].item<double>(), Is.EqualTo(monteCarlo[i].item<double>()).Within(5 * standardError[i].item<double>()),
                $"sample {i}: closed form vs Monte Carlo ± 5 s.e.");
        }
        // A posterior equal to the prior: KL 0.
        Assert.That(VariationalAutoencoder.KlDivergence(zeros(1, 4), zeros(1, 4)).item<float>(), Is.Zero);
    }

    [Test]
    public void Shapes_and_the_reparameterisation_gradient()
    {
        using var vae = new VariationalAutoencoder(new VariationalAutoencoderOptions { Hidden = [32], LatentSize = 3 });
        using var images = rand(5, 1, 28, 28);
        var (mean, logVariance) = vae.EncodeDistribution(images);
        var mu = randn(4, 3).requires_grad_();
        var lv = randn(4, 3).requires_grad_();
        using var generator = new Generator(5, CPU);
        var z = VariationalAutoencoder.Reparameterize(mu, lv, generator);
        z.sum().backward();
        using var generator2 = new Generator(5, CPU);
        var epsilon = randn(new long[] { 4, 3 }, generator: generator2);
        Assert.Multiple(() =>
        {
            Assert.That(mean.shape, Is.EqualTo(new long[] { 5, 3 }));
            Assert.That(logVariance.shape, Is.EqualTo(new long[] { 5, 3 }));
            Assert.That(vae.call(images).shape, Is.EqualTo(new long[] { 5, 1, 28, 28 }));
            Assert.That(vae.Decode(randn(2, 3)).shape, Is.EqualTo(new long[] { 2, 784 }));
            // z = μ + e^{lv/2} ε: ∂z/∂μ = 1, ∂z/∂lv = ½ e^{lv/2} ε.
            Assert.That(mu.grad!.eq(1).all().item<bool>(), Is.True);
            Assert.That(lv.grad!.allclose(0.5 * (0.5 * lv).exp().detach() * epsilon, rtol: 1e-5, atol: 1e-6), Is.True);
            Assert.That(() => vae.call(randn(2, 100)), Throws.ArgumentException.With.Message.Contain("[N, 784]").And.Message.Contain("[2, 100]"));
            Assert.That(() => vae.Decode(randn(2, 2)), Throws.ArgumentException.With.Message.Contain("[N, 3]"));
        });
    }

    [Test]
    public void Sample_is_seeded_and_leaves_the_global_generator_alone()
    {
        using var vae = new VariationalAutoencoder(new VariationalAutoencoderOptions { Hidden = [16], LatentSize = 2 });
        using var a = vae.Sample(6, seed: 11);
        using var b = vae.Sample(6, seed: 11);
        using var c = vae.Sample(6, seed: 12);
        manual_seed(1);
        using var before = randn(3);
        manual_seed(1);
        using (vae.Sample(4, seed: 1)) { }
        using var after = randn(3);
        Assert.Multiple(() =>
        {
            Assert.That(a.shape, Is.EqualTo(new long[] { 6, 784 }));
            Assert.That(a.equal(b).all().item<bool>(), Is.True, "same seed, same samples");
            Assert.That(a.allclose(c), Is.False, "another seed, other samples");
            Assert.That(before.equal(after).all().item<bool>(), Is.True);
            Assert.That(a.min().item<float>(), Is.GreaterThanOrEqualTo(0f), "Bernoulli means are probabilities");
            Assert.That(a.requires_grad, Is.False);
        });
    }

    [TestCase(DecoderLikelihood.Bernoulli)]
    [TestCase(DecoderLikelihood.Gaussian)]
    public void The_loss_is_the_negative_elbo_written_out(DecoderLikelihood likelihood)
    {
        using var scope = NewDisposeScope();
        using var vae = new VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            InputSize = 6, Hidden = [5], LatentSize = 2, Likelihood = likelihood, DecoderStd = 0.5, Beta = 3,
        });
        var x = rand(4, 6);
        using var generator = new Generator(21, CPU);
        var loss = vae.Loss(x, generator);
        // The same draw by hand: z = μ + σ ε with ε from a generator of the same seed.
        using var twin = new Generator(21, CPU);
        var (mu, lv) = vae.EncodeDistribution(x);
        var z = mu + (0.5 * lv).exp() * randn(new long[] { 4, 2 }, generator: twin);
        var o = vae.DecoderOutput(z);
        var nll = likelihood == DecoderLikelihood.Bernoulli
            ? -(x * nn.functional.logsigmoid(o) + (1 - x) * nn.functional.logsigmoid(-o)).sum(dim: 1)
            : ((x - o).square() / (2 * 0.25) + 0.5 * Math.Log(2 * Math.PI * 0.25)).sum(dim: 1);
        var kl = (0.5 * (mu.square() + lv.exp() - 1 - lv)).sum(dim: 1);
        Assert.Multiple(() =>
        {
            Assert.That(loss.Reconstruction.item<float>(), Is.EqualTo(nll.mean().item<float>()).Within(1e-4));
            Assert.That(loss.Kl.item<float>(), Is.EqualTo(kl.mean().item<float>()).Within(1e-5));
            Assert.That(loss.Loss.item<float>(), Is.EqualTo((nll + 3 * kl).mean().item<float>()).Within(1e-4), "β = 3 weighs the KL");
            // The ELBO averaged over many z is −(E[reconstruction] + KL) at β = 1; one-draw losses scatter around it.
            var elbo = vae.EvidenceLowerBound(x, samples: 2000);
            var draws = Enumerable.Range(0, 2000).Select(_ => { var l = vae.Loss(x, generator); return l.Reconstruction.item<float>() + l.Kl.item<float>(); }).Average();
            Assert.That(-elbo, Is.EqualTo(draws).Within(0.02 * Math.Abs(draws)));
        });
    }

    [Test]
    public void A_bernoulli_decoder_refuses_targets_outside_zero_to_one_naming_the_range()
    {
        using var bernoulli = new VariationalAutoencoder(new VariationalAutoencoderOptions { InputSize = 6, Hidden = [5], LatentSize = 2 });
        using var gaussian = new VariationalAutoencoder(new VariationalAutoencoderOptions { InputSize = 6, Hidden = [5], LatentSize = 2, Likelihood = DecoderLikelihood.Gaussian });
        using var bytes = tensor(new float[] { 0, 17, 255, 3, 128, 64, 9, 0, 1, 2, 250, 30 }, [2, 6]);
        using var nan = tensor(new[] { 0.5f, float.NaN, 0, 1, 0.2f, 0.3f }, [1, 6]);
        Assert.Multiple(() =>
        {
            // Unchecked, 0–255 pixels gave a reconstruction NLL near 1e14 (the cross-entropy is linear in such targets).
            Assert.That(() => bernoulli.Loss(bytes),
                Throws.ArgumentException.With.Message.StartWith("vae.Loss: the Bernoulli likelihood needs targets in [0, 1], but the input ranges from 0 to 255; scale it to [0, 1] (bytes: divide by 255), or use DecoderLikelihood.Gaussian."));
            Assert.That(() => bernoulli.EvidenceLowerBound(bytes), Throws.ArgumentException.With.Message.StartWith("vae.EvidenceLowerBound: the Bernoulli likelihood needs targets in [0, 1], but the input ranges from 0 to 255"));
            Assert.That(() => bernoulli.Loss(bytes / 255 - 1), Throws.ArgumentException.With.Message.Contain("ranges from -1 to 0"));
            Assert.That(() => bernoulli.Loss(nan), Throws.ArgumentException.With.Message.StartWith("vae.Loss: input must be finite; got NaN at element 1 of input [1, 6]."));
            Assert.That(() => gaussian.Loss(nan), Throws.ArgumentException.With.Message.StartWith("vae.Loss: input must be finite; got NaN at element 1"));
            // [0, 1] is fine for Bernoulli, and a Gaussian decoder takes any real targets.
            Assert.That(double.IsFinite(bernoulli.Loss(bytes / 255).Loss.item<float>()), Is.True);
            Assert.That(double.IsFinite(gaussian.Loss(bytes).Loss.item<float>()), Is.True);
        });
    }
}
