using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// The area under the ROC curve of a binary classifier (<c>roc_auc</c>): the probability that a random
/// positive sample scores higher than a random negative one (ties count one half), computed exactly from
/// the ranks of all scores (the Mann–Whitney U statistic). Outputs are one score per sample (<c>[N]</c> or
/// <c>[N, 1]</c>: logits, probabilities or margins, any monotone score), labels 0/1 or ±1. The scores are
/// kept until <see cref="Compute"/>, since the ranks need all of them.
/// </summary>
public sealed class RocAuc : IMetric
{
    readonly List<(double Score, bool Positive)> _samples = [];

    /// <inheritdoc/>
    public string Name => "roc_auc";

    /// <inheritdoc/>
    public void Update(Tensor output, Tensor target)
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var scores = output.dim() == 2 && output.shape[1] == 1 ? output.flatten() : output;
        if (scores.dim() != 1 || target.dim() != 1 || scores.shape[0] != target.shape[0])
            throw new ArgumentException($"RocAuc.Update: expected one score per sample, [N] or [N, 1], and labels [N]; got output {Shapes.Format(output)} and target {Shapes.Format(target)}.");
        var s = scores.to(float64).cpu().data<double>().ToArray();
        var y = target.to(float64).cpu().data<double>().ToArray();
        for (var i = 0; i < s.Length; i++)
        {
            if (y[i] is not (0 or 1 or -1))
                throw new ArgumentException($"RocAuc.Update: label {y[i]} at index {i} is not 0/1 or ±1.");
            _samples.Add((s[i], y[i] == 1));
        }
    }

    /// <summary>The AUC; NaN when either class is missing (the curve is undefined).</summary>
    public double Compute()
    {
        var positives = _samples.Count(p => p.Positive);
        var negatives = _samples.Count - positives;
        if (positives == 0 || negatives == 0)
            return double.NaN;
        // Average ranks (1-based) with ties sharing their mean rank; U = Σ ranks of positives − P(P+1)/2.
        var ordered = _samples.OrderBy(p => p.Score).ToList();
        double rankSum = 0;
        for (var i = 0; i < ordered.Count;)
        {
            var j = i;
            while (j + 1 < ordered.Count && ordered[j + 1].Score == ordered[i].Score)
                j++;
            var rank = (i + j) / 2.0 + 1;
            for (var k = i; k <= j; k++)
            {
                if (ordered[k].Positive)
                    rankSum += rank;
            }
            i = j + 1;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <inheritdoc/>
    public void Reset() => _samples.Clear();

    /// <summary>The AUC of one batch.</summary>
    public static double Of(Tensor output, Tensor target)
    {
        var metric = new RocAuc();
        metric.Update(output, target);
        return metric.Compute();
    }
}
