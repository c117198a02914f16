using TorchBinding.Metrics;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Metrics;

public class RegressionMetricTests
{
    [Test]
    public void Hand_computed_mse_mae_and_r2()
    {
        using var scope = NewDisposeScope();
        // o = [1, 2, 3, 4], y = [1, 3, 1, 4]: errors 0, −1, 2, 0.
        // MSE = (0 + 1 + 4 + 0) / 4 = 1.25; MAE = 3/4.
        // ȳ = 9/4; Σ (y − ȳ)² = 25/16 + 9/16 + 25/16 + 49/16 = 27/4; R² = 1 − 5 / (27/4) = 7/27.
        var o = tensor(new[] { 1.0, 2, 3, 4 });
        var y = tensor(new[] { 1.0, 3, 1, 4 });
        Assert.Multiple(() =>
        {
            Assert.That(MeanSquaredError.Of(o, y), Is.EqualTo(1.25));
            Assert.That(MeanAbsoluteError.Of(o, y), Is.EqualTo(0.75));
            Assert.That(RSquared.Of(o, y), Is.EqualTo(7.0 / 27).Within(1e-15));
            Assert.That(MeanSquaredError.Of(o.reshape(4, 1), y), Is.EqualTo(1.25), "[N, 1] against [N]");
            Assert.That(MeanAbsoluteError.Of(o, tensor(new long[] { 1, 3, 1, 4 })), Is.EqualTo(0.75), "integer targets");
        });
    }

    [Test]
    public void R2_is_one_for_a_perfect_prediction_and_zero_for_the_mean()
    {
        using var scope = NewDisposeScope();
        var y = tensor(new[,] { { 1.0, 10 }, { 2, 20 }, { 4, 25 } });
        var mean = y.mean([0], keepdim: true).expand(3, 2);
        Assert.Multiple(() =>
        {
            Assert.That(RSquared.Of(y.clone(), y), Is.EqualTo(1.0));
            Assert.That(RSquared.Of(mean, y), Is.EqualTo(0.0).Within(1e-15));
            Assert.That(RSquared.Of(ones(3), ones(3)), Is.EqualTo(1.0), "constant target, predicted exactly");
            Assert.That(new RSquared().Name, Is.EqualTo("r2"));
            Assert.That(new MeanSquaredError().Name, Is.EqualTo("mse"));
            Assert.That(new MeanAbsoluteError().Name, Is.EqualTo("mae"));
        });
    }

    [Test]
    public void Accumulating_over_batches_equals_computing_on_the_whole()
    {
        TorchBinding.Runtime.Seeding.SeedEverything(12);
        using var scope = NewDisposeScope();
        var y = randn(30, 2, dtype: float64) * 3 + 1;
        var o = y + randn(30, 2, dtype: float64);
        var metrics = new IMetric[] { new MeanSquaredError(), new MeanAbsoluteError(), new RSquared() };
        foreach (var (start, length) in new[] { (0, 7), (7, 20), (27, 3) })
            foreach (var metric in metrics)
                metric.Update(o.narrow(0, start, length), y.narrow(0, start, length));
        Assert.Multiple(() =>
        {
            Assert.That(metrics[0].Compute(), Is.EqualTo(MeanSquaredError.Of(o, y)).Within(1e-12));
            Assert.That(metrics[1].Compute(), Is.EqualTo(MeanAbsoluteError.Of(o, y)).Within(1e-12));
            Assert.That(metrics[2].Compute(), Is.EqualTo(RSquared.Of(o, y)).Within(1e-12));
        });
    }

    [Test]
    public void Shapes_that_would_broadcast_are_refused()
    {
        using var scope = NewDisposeScope();
        Assert.Multiple(() =>
        {
            Assert.That(() => MeanSquaredError.Of(zeros(4, 2), zeros(4)),
                Throws.ArgumentException.With.Message.Contain("MeanSquaredError.Update").And.Message.Contain("[4, 2]").And.Message.Contain("[4]"));
            Assert.That(() => RSquared.Of(zeros(0), zeros(0)), Throws.ArgumentException.With.Message.Contain("empty"));
            Assert.That(() => MeanAbsoluteError.Of(zeros(3, dtype: int64), zeros(3)), Throws.ArgumentException.With.Message.Contain("floating"));
            Assert.That(new MeanSquaredError().Compute(), Is.NaN);
            Assert.That(new RSquared().Compute(), Is.NaN);
        });
    }
}
