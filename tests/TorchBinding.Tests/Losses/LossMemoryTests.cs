using TorchBinding.Losses;
using TorchBinding.Metrics;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Losses;

/// <summary>Losses leave only their result in the caller's dispose scope; metric updates leave nothing.</summary>
public class LossMemoryTests
{
    [Test]
    public void Losses_leave_only_their_result_in_the_callers_scope()
    {
        using var scope = NewDisposeScope();
        var output = randn(4, 3, dtype: float64);
        var labels = tensor(new long[] { 0, 2, 1, 2 });
        var scores = randn(4, dtype: float64);
        var signs = tensor(new[] { 1.0, -1, 1, -1 });
        Assert.Multiple(() =>
        {
            foreach (var loss in LossCatalog.All)
            {
                var before = scope.DisposablesCount;
                using var value = loss.Name == "svm_hinge" ? loss.Create()(scores, signs) : loss.Create()(output, labels);
                Assert.That(scope.DisposablesCount - before, Is.EqualTo(1), loss.Name);
            }
            var count = scope.DisposablesCount;
            using var penalty = WeightPenalty.L2([output, scores]);
            Assert.That(scope.DisposablesCount - count, Is.EqualTo(1), "penalty");
        });
    }

    [Test]
    public void Metric_updates_keep_no_tensors()
    {
        using var scope = NewDisposeScope();
        var logits = randn(6, 3, 2, 2);
        var masks = randint(0, 3, [6, 2, 2]);
        var before = scope.DisposablesCount;
        new Accuracy().Update(logits, masks);
        new ConfusionMatrix(3).Update(logits, masks);
        new MeanIoU(3).Update(logits, masks);
        new RSquared().Update(logits, logits);
        Assert.That(scope.DisposablesCount, Is.EqualTo(before));
    }

    [Test]
    public void Log_loss_with_softmax_is_libtorchs_cross_entropy()
    {
        using var scope = NewDisposeScope();
        var output = randn(8, 5, dtype: float64);
        var labels = randint(0, 5, [8]);
        Assert.That(LectureLosses.Log(output, labels).item<double>(),
            Is.EqualTo(nn.functional.cross_entropy(output, labels).item<double>()).Within(1e-12));
    }
}
