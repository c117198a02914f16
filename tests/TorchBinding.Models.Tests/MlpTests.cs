using TorchBinding.Activations;
using static TorchBinding.Models.Tests.ModelAssertions;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests;

public class MlpTests
{
    [SetUp]
    public void Seed() => manual_seed(7);

    [Test]
    public void Sizes_give_the_layers_and_the_output_shape()
    {
        var model = new Mlp(784, 256, 10);
        // fc1 = 784·256 + 256 = 200,960; fc2 = 256·10 + 10 = 2,570.
        Assert.Multiple(() =>
        {
            Assert.That(Children(model), Is.EqualTo(new[] { "fc1:Linear", "act1:ReLU", "fc2:Linear" }));
            Assert.That(model.ParameterCount(), Is.EqualTo(200_960 + 2_570));
            Assert.That(model.call(randn(5, 784)).shape, Is.EqualTo(new long[] { 5, 10 }));
            Assert.That(model.call(randn(5, 1, 28, 28)).shape, Is.EqualTo(new long[] { 5, 10 }), "images are flattened");
        });
    }

    [Test]
    public void Per_layer_activations_batch_norm_dropout_and_output_activation_build_the_expected_sequence()
    {
        var model = new Mlp(new MlpOptions
        {
            Sizes = [4, 8, 6, 2], Activations = [Activation.Tanh, Activation.LeakyReLU], OutputActivation = Activation.Sigmoid,
            Dropout = 0.1, BatchNorm = true,
        });
        Assert.That(Children(model), Is.EqualTo(new[]
        {
            "fc1:Linear", "bn1:BatchNorm1d", "act1:Tanh", "drop1:Dropout",
            "fc2:Linear", "bn2:BatchNorm1d", "act2:LeakyReLU", "drop2:Dropout",
            "fc3:Linear", "act3:Sigmoid",
        }));
        // Hidden linear layers before batch norm have no bias (β replaces it): 4·8 + 2·8 + 8·6 + 2·6 + 6·2 + 2.
        Assert.That(model.ParameterCount(), Is.EqualTo(32 + 16 + 48 + 12 + 12 + 2));
        model.eval();
        var output = model.call(randn(3, 4));
        Assert.That(output.min().item<float>(), Is.GreaterThan(0f));
        Assert.That(output.max().item<float>(), Is.LessThan(1f));
    }

    [Test]
    public void A_mismatched_activation_list_is_refused_before_anything_is_built()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new Mlp(new MlpOptions { Sizes = [4, 8, 6, 2], Activations = [Activation.Tanh] }),
                Throws.ArgumentException.With.Message.Contain("1 activation(s) for 2 hidden layer(s)").And.Message.Contain("4-8-6-2"));
            Assert.That(() => new Mlp(new MlpOptions { Sizes = [4, 8, 2], Activations = [Activation.Tanh, Activation.ReLU] }),
                Throws.ArgumentException.With.Message.Contain("2 activation(s) for 1 hidden layer(s)").And.Message.Contain("OutputActivation"));
            Assert.That(() => new Mlp(4), Throws.ArgumentException.With.Message.Contain("at least an input and an output size"));
            Assert.That(() => new Mlp(new MlpOptions { Dropout = 1 }), Throws.ArgumentException.With.Message.Contain("Dropout"));
        });
    }

    [Test]
    public void Wrong_inputs_are_named_with_both_shapes()
    {
        var model = new Mlp(784, 32, 10);
        Assert.Multiple(() =>
        {
            Assert.That(() => model.call(randn(8, 1, 28, 29)),
                Throws.ArgumentException.With.Message.EqualTo("mlp.fc1 expects 784 input feature(s) per sample, got 812: input [8, 1, 28, 29]. (Parameter 'input')"));
            Assert.That(() => model.call(randn(784)), Throws.ArgumentException.With.Message.Contain("expects a batch [N, 784], got [784]").And.Message.Contain("unsqueeze(0)"));
            Assert.That(() => new Mlp(1, 8, 1).call(randn(16)), Throws.ArgumentException.With.Message.Contain("unsqueeze(1)"));
            Assert.That(() => model.call(ones(2, 784, dtype: ScalarType.Int64)), Throws.ArgumentException.With.Message.Contain("floating-point"));
            Assert.That(() => model.call(randn(2, 784, dtype: ScalarType.Float64)), Throws.ArgumentException.With.Message.Contain("input.to(Float32)"));
        });
    }

    [Test]
    public void Batch_norm_refuses_to_train_on_one_sample_but_predicts_it()
    {
        var model = new Mlp(new MlpOptions { Sizes = [4, 8, 2], BatchNorm = true });
        Assert.That(() => model.call(randn(1, 4)), Throws.ArgumentException.With.Message.Contain("batch of one").And.Message.Contain("model.eval()"));
        model.eval();
        Assert.That(model.call(randn(1, 4)).shape, Is.EqualTo(new long[] { 1, 2 }));
    }

    [Test]
    public void Dropout_is_random_in_training_and_off_in_evaluation()
    {
        var model = new Mlp(new MlpOptions { Sizes = [16, 64, 4], Dropout = 0.5 });
        var x = randn(8, 16);
        model.train();
        Assert.That(model.call(x).allclose(model.call(x)), Is.False, "two training passes drop different units");
        model.eval();
        var first = model.call(x);
        TensorAssert.AreClose(first, model.call(x), what: "evaluation is deterministic");
        // Without dropout, the same weights give the evaluation output: inverted dropout needs no rescaling at test time.
        var plain = new Mlp(new MlpOptions { Sizes = [16, 64, 4] });
        plain.load_state_dict(model.state_dict());
        plain.eval();
        TensorAssert.AreClose(plain.call(x), first);
    }

    [Test]
    public void Gradients_reach_every_parameter() =>
        GradientsReachEveryParameter(
            new Mlp(new MlpOptions { Sizes = [6, 16, 8, 3], Activations = [Activation.PReLU, Activation.GELU], BatchNorm = true, Dropout = 0.1 }),
            randn(8, 6), Labels(8, 3));
}
