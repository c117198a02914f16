using static TorchSharp.torch;

namespace TorchBinding.Tests.TestInfrastructure;

public class TensorAssertTests
{
    [Test]
    public void A_failure_names_the_largest_difference_its_index_and_both_values()
    {
        using var scope = NewDisposeScope();
        var expected = zeros(2, 3);
        var actual = expected.clone();
        actual[1, 2] = tensor(0.5f);
        actual[0, 1] = tensor(1e-3f);
        var failure = Assert.Throws<AssertionException>(() => TensorAssert.AreClose(actual, expected, rtol: 0, atol: 1e-6, what: "probe"))!;
        Assert.That(failure.Message, Does.Contain("probe: 2 of 6 elements differ").And.Contain("the largest, 0.5, at [1, 2]: actual 0.5, expected 0"));
        Assert.DoesNotThrow(() => TensorAssert.AreClose(actual, expected, rtol: 0, atol: 0.5));
    }

    [Test]
    public void Nan_is_never_close_and_shapes_must_agree()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<AssertionException>(() => TensorAssert.AreClose(tensor(new[] { 1f, float.NaN }), tensor(new[] { 1f, float.NaN })));
        Assert.Throws<AssertionException>(() => TensorAssert.AreClose(zeros(2, 3), zeros(3, 2)));
    }
}
