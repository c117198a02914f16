using TorchBinding.Models.Generative;
using static TorchBinding.Models.Tests.ModelAssertions;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Generative;

public class GanModelTests
{
    [SetUp]
    public void Seed() => manual_seed(11);

    static readonly MlpGeneratorOptions CoinGenerator = new() { LatentSize = 1, HiddenSizes = [64], OutputShape = [1], NegativeSlope = 0, Output = GanOutput.Linear };
    static readonly MlpDiscriminatorOptions CoinDiscriminator = new() { InputShape = [1], HiddenSizes = [32], NegativeSlope = 0 };

    [Test]
    public void The_course_coin_gan_has_its_counted_parameters()
    {
        // G: Linear(1, 64) + Linear(64, 1) = 128 + 65; D: Linear(1, 32) + Linear(32, 1) = 64 + 33 (the course's 193 and 97).
        var g = new MlpGenerator(CoinGenerator);
        var d = new MlpDiscriminator(CoinDiscriminator);
        Assert.Multiple(() =>
        {
            Assert.That(g.ParameterCount(), Is.EqualTo(193));
            Assert.That(d.ParameterCount(), Is.EqualTo(97));
            Assert.That(g.call(randn(5, 1), null).shape, Is.EqualTo(new long[] { 5, 1 }));
            Assert.That(d.call(randn(5, 1), null).shape, Is.EqualTo(new long[] { 5 }));
            Assert.That(new Gan(g, d).named_children().Select(c => c.name), Is.EqualTo(new[] { "generator", "discriminator" }));
        });
    }

    [Test]
    public void Mnist_generators_make_images_in_the_output_range_and_discriminators_give_one_logit()
    {
        var mlp = new MlpGenerator();
        var dcgan = new DcganGenerator();
        Assert.Multiple(() =>
        {
            foreach (var g in new GanGenerator[] { mlp, dcgan })
            {
                var images = g.call(g.Latent(4), null);
                Assert.That(images.shape, Is.EqualTo(new long[] { 4, 1, 28, 28 }), g.GetName());
                Assert.That(images.abs().max().item<float>(), Is.LessThanOrEqualTo(1f), $"{g.GetName()}: tanh output");
            }
            Assert.That(new MlpDiscriminator().call(randn(3, 1, 28, 28), null).shape, Is.EqualTo(new long[] { 3 }));
            Assert.That(new DcganDiscriminator().call(randn(3, 1, 28, 28), null).shape, Is.EqualTo(new long[] { 3 }));
            // DCGAN with width 32: project 64→64·7·7 (no bias), bn0, up1 64→32 4x4 (no bias), bn1, up2 32→1 4x4 + bias.
            Assert.That(dcgan.ParameterCount(), Is.EqualTo(64 * 3136 + 2 * 64 + 64 * 32 * 16 + 2 * 32 + 32 * 16 + 1));
        });
    }

    [Test]
    public void Conditional_models_take_labels_one_hot_or_embedded_and_the_label_changes_the_output()
    {
        foreach (var encoding in new[] { ClassEncoding.OneHot, ClassEncoding.Embedding })
        {
            var conditioning = new LabelConditioning(10, encoding, EmbeddingSize: 8);
            var generators = new GanGenerator[] { new MlpGenerator(new MlpGeneratorOptions { Conditioning = conditioning }), new DcganGenerator(new DcganOptions { Conditioning = conditioning }) };
            var discriminators = new GanDiscriminator[] { new MlpDiscriminator(new MlpDiscriminatorOptions { Conditioning = conditioning }), new DcganDiscriminator(new DcganOptions { Conditioning = conditioning }) };
            foreach (var g in generators)
            {
                g.eval();
                var z = g.Latent(1).expand(2, -1);
                var images = g.call(z, tensor(new long[] { 3, 7 }));
                Assert.That(images.shape, Is.EqualTo(new long[] { 2, 1, 28, 28 }));
                Assert.That((images[0] - images[1]).abs().max().item<float>(), Is.GreaterThan(1e-4f), $"{g.GetName()} ({encoding}): same z, different labels");
                Assert.That(g.Classes, Is.EqualTo(10));
            }
            foreach (var d in discriminators)
            {
                d.eval();
                var x = randn(1, 1, 28, 28).expand(2, -1, -1, -1);
                var logits = d.call(x, tensor(new long[] { 3, 7 }));
                Assert.That((logits[0] - logits[1]).abs().item<float>(), Is.GreaterThan(1e-6f), $"{d.GetName()} ({encoding}): same image, different labels");
            }
        }
    }

    [Test]
    public void Gradients_reach_every_parameter_of_the_conditional_dcgan()
    {
        var conditioning = new LabelConditioning(10, ClassEncoding.Embedding);
        var g = new DcganGenerator(new DcganOptions { Conditioning = conditioning, Width = 8 });
        var d = new DcganDiscriminator(new DcganOptions { Conditioning = conditioning, Width = 8 });
        var labels = randint(10, [6]);
        var loss = GanStep.GeneratorLoss(d.call(g.call(g.Latent(6), labels), labels)) + GanStep.DiscriminatorLoss(d.call(randn(6, 1, 28, 28), labels), d.call(g.call(g.Latent(6), labels).detach(), labels));
        loss.backward();
        Assert.Multiple(() =>
        {
            foreach (var (name, p) in g.named_parameters().Concat(d.named_parameters()))
                Assert.That(p.grad is { } grad && grad.abs().max().item<float>() > 0, Is.True, $"{name} gets a gradient");
        });
    }

    [Test]
    public void A_projection_discriminator_adds_the_label_embeddings_dot_product_with_the_features()
    {
        var conditioning = new LabelConditioning(10, ClassEncoding.OneHot);
        var d = new DcganDiscriminator(new DcganOptions { Conditioning = conditioning, Width = 8, DiscriminatorConditioning = DiscriminatorConditioning.Projection });
        var parameters = d.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.That(parameters["conv1.weight"].shape[1], Is.EqualTo(1), "the convolutions see only the image");
        Assert.That(parameters["projection.weight"].shape, Is.EqualTo(new long[] { 16 * 7 * 7, 10 }));
        d.eval();
        var image = randn(1, 1, 28, 28).expand(3, -1, -1, -1);
        var labels = tensor(new long[] { 0, 4, 9 });
        var logits = d.call(image, labels);

        // One-hot labels pick a column of the projection: the logits differ by exactly ⟨E[:, y] − E[:, 0], φ⟩.
        Tensor features = null!;
        var hook = ((nn.Module<Tensor, Tensor>)d.named_modules().Single(m => m.name == "head").module).register_forward_pre_hook((_, input) => { features = input.clone(); return input; });
        d.call(image, labels);
        hook.remove();
        var columns = parameters["projection.weight"].t()[labels];                     // [3, F]
        var expected = (columns - columns[0]) * features;
        Assert.That((logits - logits[0]).allclose(expected.sum(1), rtol: 1e-4, atol: 1e-5), Is.True, $"logits {string.Join(", ", logits.data<float>().ToArray())}");
        Assert.That((logits[1] - logits[0]).abs().item<float>(), Is.GreaterThan(1e-4), "the label changes the verdict");
    }

    [Test]
    public void Bad_input_is_refused_with_the_model_and_the_shapes()
    {
        var g = new DcganGenerator();
        var d = new MlpDiscriminator();
        var conditional = new MlpGenerator(new MlpGeneratorOptions { Conditioning = new LabelConditioning(10) });
        Assert.Multiple(() =>
        {
            Assert.That(() => g.call(randn(2, 32), null), Throws.ArgumentException.With.Message.EqualTo("dcgan_generator expects latent codes [N, 64], got [2, 32]. (Parameter 'z')"));
            Assert.That(() => d.call(randn(2, 784), null), Throws.ArgumentException.With.Message.StartWith("mlp_discriminator expects samples [N, 1, 28, 28], got [2, 784]."));
            Assert.That(() => g.call(randn(2, 64), tensor(new long[] { 1, 2 })), Throws.ArgumentException.With.Message.StartWith("dcgan_generator is unconditional and takes no labels"));
            Assert.That(() => conditional.call(randn(2, 64), null), Throws.ArgumentException.With.Message.StartWith("mlp_generator is conditional on 10 classes and needs a label per sample"));
            Assert.That(() => conditional.call(randn(2, 64), tensor(new long[] { 1, 10 })), Throws.ArgumentException.With.Message.StartWith("mlp_generator: label 10 is out of range for 10 classes (expected 0..9)."));
            Assert.That(() => conditional.call(randn(2, 64), tensor(new float[] { 1, 2 })), Throws.ArgumentException.With.Message.StartWith("mlp_generator expects integer class labels, got Float32"));
            Assert.That(() => conditional.call(randn(2, 64), tensor(new long[] { 1, 2, 3 })), Throws.ArgumentException.With.Message.StartWith("mlp_generator expects one label per sample, labels [2]; got labels [3]"));
            Assert.That(() => new Gan(g, new MlpDiscriminator(new MlpDiscriminatorOptions { InputShape = [784] })), Throws.ArgumentException.With.Message.EqualTo("gan: the generator makes samples [1, 28, 28] but the discriminator judges [784]."));
            Assert.That(() => new Gan(conditional, d), Throws.ArgumentException.With.Message.StartWith("gan: the generator is conditioned on 10 classes but the discriminator on 0"));
            Assert.That(() => new DcganGenerator(new DcganOptions { ImageSize = 30 }), Throws.ArgumentException.With.Message.Contain("multiple of 4"));
            Assert.That(() => new LabelEncoder(new LabelConditioning(1)), Throws.ArgumentException.With.Message.Contain("at least 2 classes"));
        });
    }
}
