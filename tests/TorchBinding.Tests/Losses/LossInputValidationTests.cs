using TorchBinding.Losses;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Losses;

/// <summary>Predictable mistakes are ArgumentExceptions that name the function, what was expected and what came.</summary>
public class LossInputValidationTests
{
    [Test]
    public void Mismatched_target_shape_names_both_shapes()
    {
        using var scope = NewDisposeScope();
        Assert.That(() => LectureLosses.Hinge(zeros(4, 3, dtype: float64), zeros(4, 5, dtype: float64)),
            Throws.ArgumentException.With.Message.Contain("LectureLosses.Hinge").And.Message.Contain("[4, 3]").And.Message.Contain("[4, 5]"));
        Assert.That(() => LectureLosses.Log(zeros(4, 3), zeros(5, dtype: int64)),
            Throws.ArgumentException.With.Message.Contain("LectureLosses.Log").And.Message.Contain("[4]").And.Message.Contain("[5]"));
    }

    [Test]
    public void Labels_out_of_range_name_the_label_and_K()
    {
        using var scope = NewDisposeScope();
        Assert.Multiple(() =>
        {
            Assert.That(() => LectureLosses.Tanimoto(zeros(3, 3), tensor(new long[] { 0, 3, 1 })),
                Throws.ArgumentException.With.Message.Contain("LectureLosses.Tanimoto").And.Message.Contain("label 3").And.Message.Contain("K = 3"));
            Assert.That(() => LectureLosses.Expectation(zeros(2, 4), tensor(new[] { 1, -1 })),
                Throws.ArgumentException.With.Message.Contain("label -1").And.Message.Contain("K = 4"));
        });
    }

    [TestCase(2.0)]
    [TestCase(-0.5)]
    [TestCase(double.NaN)]
    public void Probability_targets_outside_0_1_are_refused_with_the_value(double bad)
    {
        using var scope = NewDisposeScope();
        var target = tensor(new[] { 0.0, 1.0, 0.0, bad, 0.0, 1.0 }).reshape(2, 3);
        Assert.That(() => LectureLosses.Log(zeros(2, 3, dtype: float64), target, Squash.Sigmoid),
            Throws.ArgumentException.With.Message.Contain("LectureLosses.Log").And.Message.Contain("must lie in [0, 1]")
                .And.Message.Contain($"got {bad}").And.Message.Contain("element 3"));
    }

    [Test]
    public void TorchSharps_own_binary_cross_entropy_with_logits_takes_targets_outside_0_1_as_the_readme_says()
    {
        // README (Losses) documents the difference rather than wrapping torch's functions: with logits, a target of 2 is
        // a finite loss that goes on falling as the output grows without bound (on probabilities, libtorch refuses it).
        using var scope = NewDisposeScope();
        var logits = tensor(new[] { 0.0, 5.0 });
        var target = tensor(new[] { 2.0, 2.0 });
        var loss = nn.functional.binary_cross_entropy_with_logits(logits, target).item<double>();
        Assert.Multiple(() =>
        {
            Assert.That(double.IsFinite(loss), Is.True, "no error, a finite number");
            Assert.That(nn.functional.binary_cross_entropy_with_logits(tensor(new[] { 10.0, 15.0 }), target).item<double>(), Is.LessThan(loss), "larger outputs always lower it");
            Assert.That(() => nn.functional.binary_cross_entropy(logits.sigmoid(), target), Throws.InstanceOf<System.Runtime.InteropServices.ExternalException>()
                .With.Message.Contain("between 0 and 1"), "on probabilities libtorch checks (a native error)");
            Assert.That(() => LectureLosses.Log(zeros(1, 2, dtype: float64), target.reshape(1, 2), Squash.Sigmoid),
                Throws.ArgumentException.With.Message.Contain("must lie in [0, 1]"), "the catalog's losses refuse such targets");
        });
    }

    [Test]
    public void Empty_batches_and_wrong_ranks_are_refused()
    {
        using var scope = NewDisposeScope();
        Assert.Multiple(() =>
        {
            Assert.That(() => LectureLosses.L1(zeros(0, 3), zeros(0, dtype: int64)),
                Throws.ArgumentException.With.Message.Contain("LectureLosses.L1").And.Message.Contain("empty").And.Message.Contain("[0, 3]"));
            Assert.That(() => LectureLosses.L2(zeros(2, 3, 4), zeros(2, dtype: int64)),
                Throws.ArgumentException.With.Message.Contain("[N, K]").And.Message.Contain("[2, 3, 4]"));
            Assert.That(() => LectureLosses.SvmHinge(zeros(0), zeros(0)),
                Throws.ArgumentException.With.Message.Contain("empty"));
        });
    }

    [Test]
    public void Wrong_dtypes_are_refused()
    {
        using var scope = NewDisposeScope();
        Assert.Multiple(() =>
        {
            Assert.That(() => LectureLosses.Chebyshev(zeros(2, 3, dtype: int64), zeros(2, dtype: int64)),
                Throws.ArgumentException.With.Message.Contain("LectureLosses.Chebyshev").And.Message.Contain("floating").And.Message.Contain("Int64"));
            Assert.That(() => LectureLosses.Log(zeros(2, 3), zeros(2)),
                Throws.ArgumentException.With.Message.Contain("class indices").And.Message.Contain("int64").And.Message.Contain("[2]"));
            Assert.That(() => LectureLosses.Log(zeros(2, 3), zeros(2, 3, dtype: ScalarType.Bool)),
                Throws.ArgumentException.With.Message.Contain("Bool"));
            Assert.That(() => LectureLosses.SvmHinge(zeros(3, dtype: int64), ones(3)),
                Throws.ArgumentException.With.Message.Contain("floating"));
        });
    }

    [Test]
    public void Svm_hinge_refuses_labels_other_than_plus_and_minus_one()
    {
        using var scope = NewDisposeScope();
        Assert.Multiple(() =>
        {
            Assert.That(() => LectureLosses.SvmHinge(zeros(3), tensor(new long[] { 1, 0, -1 })),
                Throws.ArgumentException.With.Message.Contain("LectureLosses.SvmHinge").And.Message.Contain("−1 or +1").And.Message.Contain("got 0"));
            Assert.That(() => LectureLosses.SvmHinge(zeros(3, 2), ones(3)),
                Throws.ArgumentException.With.Message.Contain("[3, 2]"));
            Assert.That(() => LectureLosses.SvmHinge(zeros(3), ones(4)),
                Throws.ArgumentException.With.Message.Contain("[4]").And.Message.Contain("[3]"));
        });
    }

    [Test]
    public void Bad_margins_and_options_are_refused()
    {
        using var scope = NewDisposeScope();
        Assert.Multiple(() =>
        {
            Assert.That(() => LectureLosses.Hinge(zeros(2, 3), zeros(2, dtype: int64), margin: 0),
                Throws.ArgumentException.With.Message.Contain("margin").And.Message.Contain("got 0"));
            Assert.That(() => LectureLosses.CubedHinge(zeros(2, 3), zeros(2, dtype: int64), margin: double.NaN),
                Throws.ArgumentException.With.Message.Contain("margin"));
            Assert.That(() => LossCatalog.L1.Create(Squash.Sigmoid),
                Throws.ArgumentException.With.Message.Contain("l1").And.Message.Contain("raw scores"));
            Assert.That(() => LossCatalog.Get("tanimotto"),
                Throws.ArgumentException.With.Message.Contain("tanimotto").And.Message.Contain("tanimoto"));
            Assert.That(() => WeightPenalty.L2([zeros(2), zeros(2, dtype: int64)]),
                Throws.ArgumentException.With.Message.Contain("parameter 1").And.Message.Contain("Int64"));
        });
    }
}
