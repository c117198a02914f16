using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests;

/// <summary>Checks shared by the model tests.</summary>
static class ModelAssertions
{
    /// <summary>
    /// One backward pass of a cross-entropy loss on a small batch, then: every parameter has a gradient (not null),
    /// it is finite, and it is non-zero somewhere. Non-zero is the stronger check: a null gradient only shows that
    /// the parameter took part in the graph, while an all-zero one means that no signal reaches it, which is what
    /// happens to a bias followed directly by batch norm (the normalisation subtracts it again; the models leave
    /// such biases out) or to layers behind a step activation. "Somewhere" and not "everywhere": single entries can
    /// be zero legitimately (a ReLU unit that is off for this whole batch).
    /// </summary>
    public static void GradientsReachEveryParameter(nn.Module<Tensor, Tensor> model, Tensor input, Tensor target)
    {
        model.train();
        model.zero_grad();
        using var scope = NewDisposeScope();
        nn.functional.cross_entropy(model.call(input), target).backward();
        var parameters = model.named_parameters().ToList();
        Assert.That(parameters, Is.Not.Empty);
        Assert.Multiple(() =>
        {
            foreach (var (name, parameter) in parameters)
            {
                var grad = parameter.grad;
                Assert.That(grad, Is.Not.Null, $"{name} has no gradient");
                if (grad is null)
                    continue;
                Assert.That(grad.isfinite().all().item<bool>(), Is.True, $"{name} has a non-finite gradient");
                Assert.That(grad.abs().max().item<float>(), Is.GreaterThan(0f), $"{name}'s gradient is zero everywhere");
            }
        });
    }

    /// <summary>Names and module types of the model's direct children, in order.</summary>
    public static List<string> Children(nn.Module model) =>
        model.named_children().Select(c => $"{c.name}:{c.module.GetType().Name.Split('`')[0]}").ToList();

    /// <summary>Random images <c>[n, c, h, w]</c>.</summary>
    public static Tensor Images(long n, long c, long h, long w) => randn(n, c, h, w);

    /// <summary>Random class labels <c>[n]</c>.</summary>
    public static Tensor Labels(long n, long classes) => randint(classes, [n]);
}
