using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Losses;

/// <summary>
/// The lecture's loss table, transcribed from Janocha &amp; Czarnecki, "On Loss Functions for Deep Neural Networks in
/// Classification" (2017), in forms that are minimised at the target, plus the linear SVM's hinge for ±1 labels.
/// </summary>
/// <remarks>
/// <para>Conventions shared by the table's losses:</para>
/// <list type="bullet">
/// <item><c>o</c> (<c>output</c>) are raw scores <c>[N, K]</c> (samples × classes), floating point.</item>
/// <item><c>y</c> (<c>target</c>) is one-hot or a probability vector per sample, <c>[N, K]</c> floating point, or class
/// indices <c>[N]</c> of an integer dtype, which are turned into one-hot rows (a label outside <c>0..K−1</c> is an
/// <see cref="ArgumentException"/> naming the label and K).</item>
/// <item><c>σ</c> is an explicit <see cref="Squash"/> option, softmax by default as in Janocha &amp; Czarnecki; the
/// formulas write <c>s = σ(o)</c>. L1 and L2 act on the raw scores, as in the table.</item>
/// <item>Each per-sample value sums over the classes <c>j</c>; the batch value is the mean over the samples
/// (<see cref="Reduction.Mean"/>), or their sum, or the per-sample values <c>[N]</c>.</item>
/// </list>
/// <para>Every function validates its inputs before computing, and keeps its intermediates in a dispose scope:
/// only the returned tensor survives.</para>
/// </remarks>
public static class LectureLosses
{
    /// <summary>The L1 loss on raw scores: per sample <c>‖o − y‖₁ = Σ_j |o_j − y_j|</c>, as in the table.</summary>
    /// <param name="output">Raw scores <c>[N, K]</c>.</param>
    /// <param name="target">One-hot or probabilities <c>[N, K]</c>, or class indices <c>[N]</c>.</param>
    /// <param name="reduction">Mean (default), sum or none over the samples.</param>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, labels, or an empty batch.</exception>
    public static Tensor L1(Tensor output, Tensor target, Reduction reduction = Reduction.Mean) =>
        PerClass("LectureLosses.L1", output, target, reduction, (o, y) => (o - y).abs().sum(1));

    /// <summary>
    /// The L2 loss on raw scores, squared as in the table: per sample <c>‖o − y‖₂² = Σ_j (o_j − y_j)²</c>.
    /// <see cref="L2Norm"/> is the unsquared norm.
    /// </summary>
    /// <inheritdoc cref="L1"/>
    public static Tensor L2(Tensor output, Tensor target, Reduction reduction = Reduction.Mean) =>
        PerClass("LectureLosses.L2", output, target, reduction, (o, y) => (o - y).square().sum(1));

    /// <summary>
    /// The L2 norm on raw scores: per sample <c>‖o − y‖₂ = √(Σ_j (o_j − y_j)²)</c>. Its gradient at <c>o = y</c>,
    /// where the norm has a kink, is taken as 0.
    /// </summary>
    /// <inheritdoc cref="L1"/>
    public static Tensor L2Norm(Tensor output, Tensor target, Reduction reduction = Reduction.Mean) =>
        PerClass("LectureLosses.L2Norm", output, target, reduction, (o, y) => Norm(o - y));

    /// <summary>
    /// The expectation loss: per sample <c>‖y − σ(o)‖₁ = Σ_j |σ(o)_j − y_j|</c>, the table's formula. With softmax and
    /// one-hot <c>y</c> it equals <c>2(1 − σ(o)_c)</c>, twice the expected misclassification.
    /// </summary>
    /// <param name="output">Raw scores <c>[N, K]</c> (probabilities with <see cref="Squash.Identity"/>).</param>
    /// <param name="target">One-hot or probabilities <c>[N, K]</c>, or class indices <c>[N]</c>.</param>
    /// <param name="squash">σ: softmax (default, the table's), sigmoid, or identity.</param>
    /// <param name="reduction">Mean (default), sum or none over the samples.</param>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, labels, or an empty batch.</exception>
    public static Tensor Expectation(Tensor output, Tensor target, Squash squash = Squash.Softmax, Reduction reduction = Reduction.Mean) =>
        PerClass("LectureLosses.Expectation", output, target, reduction, (o, y) => (LossInputs.Apply(squash, o) - y).abs().sum(1));

    /// <summary>
    /// The regularised expectation loss as the lecture writes it, the norm: per sample
    /// <c>‖y − σ(o)‖₂ = √(Σ_j (σ(o)_j − y_j)²)</c>. <see cref="RegularisedExpectationSquared"/> is the squared form
    /// (which is how Janocha &amp; Czarnecki's table gives it, as far as we can tell); both are 0 exactly at
    /// <c>σ(o) = y</c>, where the gradient of the norm is taken as 0.
    /// </summary>
    /// <inheritdoc cref="Expectation"/>
    public static Tensor RegularisedExpectation(Tensor output, Tensor target, Squash squash = Squash.Softmax, Reduction reduction = Reduction.Mean) =>
        PerClass("LectureLosses.RegularisedExpectation", output, target, reduction, (o, y) => Norm(LossInputs.Apply(squash, o) - y));

    /// <summary>The regularised expectation loss squared: per sample <c>‖y − σ(o)‖₂² = Σ_j (σ(o)_j − y_j)²</c> (the Brier score with softmax).</summary>
    /// <inheritdoc cref="Expectation"/>
    public static Tensor RegularisedExpectationSquared(Tensor output, Tensor target, Squash squash = Squash.Softmax, Reduction reduction = Reduction.Mean) =>
        PerClass("LectureLosses.RegularisedExpectationSquared", output, target, reduction, (o, y) => (LossInputs.Apply(squash, o) - y).square().sum(1));

    /// <summary>
    /// The Chebyshev loss: per sample <c>‖y − σ(o)‖_∞ = max_j |σ(o)_j − y_j|</c>, the table's formula. Its gradient
    /// flows only through the worst class.
    /// </summary>
    /// <inheritdoc cref="Expectation"/>
    public static Tensor Chebyshev(Tensor output, Tensor target, Squash squash = Squash.Softmax, Reduction reduction = Reduction.Mean) =>
        PerClass("LectureLosses.Chebyshev", output, target, reduction, (o, y) => (LossInputs.Apply(squash, o) - y).abs().amax([1]));

    /// <summary>
    /// The hinge (margin) loss, one-vs-all: per sample <c>Σ_j max(0, m − ŷ_j σ(o)_j)</c> with <c>ŷ = 2y − 1</c> (the
    /// one-hot 0/1 target mapped to ±1) and margin <c>m</c>.
    /// </summary>
    /// <remarks>
    /// The defaults, softmax and <c>m = 1</c>, give the lecture's formula <c>Σ max(0, 1 − y·σ(o))</c> read with ±1
    /// labels. With σ in (0, 1) the value cannot reach 0: each term is smallest at <c>σ(o)_j = y_j</c> (the
    /// minimum, K − 1 for one-hot targets, is approached as σ(o) → y). Janocha &amp; Czarnecki's table, as we read it,
    /// puts the margin on the raw scores, <c>Σ_j max(0, ½ − ŷ_j o_j)</c>: that is <c>squash: Squash.Identity,
    /// margin: 0.5</c>, which is exactly 0 once every score is on its side of the margin. Soft targets give
    /// <c>ŷ</c> in [−1, 1].
    /// </remarks>
    /// <param name="output">Raw scores <c>[N, K]</c>.</param>
    /// <param name="target">One-hot or probabilities <c>[N, K]</c>, or class indices <c>[N]</c>.</param>
    /// <param name="squash">σ: softmax (default), sigmoid, or identity (the margin on the raw scores).</param>
    /// <param name="margin">The margin <c>m</c> &gt; 0 (default 1).</param>
    /// <param name="reduction">Mean (default), sum or none over the samples.</param>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, labels, an empty batch, or a margin that is not positive and finite.</exception>
    public static Tensor Hinge(Tensor output, Tensor target, Squash squash = Squash.Softmax, double margin = 1.0, Reduction reduction = Reduction.Mean) =>
        HingeFamily("LectureLosses.Hinge", output, target, squash, margin, 1, reduction);

    /// <summary>
    /// The squared hinge loss: per sample <c>Σ_j max(0, m − ŷ_j σ(o)_j)²</c> with <c>ŷ = 2y − 1</c>; smooth at the
    /// margin, with a gradient piecewise linear in the margin violation. See <see cref="Hinge"/> for σ, the margin and
    /// the paper's form.
    /// </summary>
    /// <inheritdoc cref="Hinge"/>
    public static Tensor SquaredHinge(Tensor output, Tensor target, Squash squash = Squash.Softmax, double margin = 1.0, Reduction reduction = Reduction.Mean) =>
        HingeFamily("LectureLosses.SquaredHinge", output, target, squash, margin, 2, reduction);

    /// <summary>
    /// The cubed hinge loss: per sample <c>Σ_j max(0, m − ŷ_j σ(o)_j)³</c> with <c>ŷ = 2y − 1</c>. See
    /// <see cref="Hinge"/> for σ, the margin and the paper's form.
    /// </summary>
    /// <inheritdoc cref="Hinge"/>
    public static Tensor CubedHinge(Tensor output, Tensor target, Squash squash = Squash.Softmax, double margin = 1.0, Reduction reduction = Reduction.Mean) =>
        HingeFamily("LectureLosses.CubedHinge", output, target, squash, margin, 3, reduction);

    /// <summary>
    /// The log loss (cross-entropy): per sample <c>−Σ_j y_j log σ(o)_j</c>, the table's formula, computed with
    /// log-softmax / log-sigmoid so that it stays finite. With softmax it is the usual cross-entropy; with sigmoid it is
    /// only the positive part of binary cross-entropy (the table has no <c>(1 − y) log(1 − σ)</c> term). With
    /// <see cref="Squash.Identity"/> the outputs must be probabilities in (0, 1] wherever <c>y_j &gt; 0</c>.
    /// </summary>
    /// <inheritdoc cref="Expectation"/>
    public static Tensor Log(Tensor output, Tensor target, Squash squash = Squash.Softmax, Reduction reduction = Reduction.Mean) =>
        PerClass("LectureLosses.Log", output, target, reduction, (o, y) => -(y * LossInputs.Log(squash, o, y)).sum(1));

    /// <summary>
    /// The squared log loss: per sample <c>Σ_j y_j (log σ(o)_j)²</c>. The table writes <c>−Σ_j [y_j log σ(o)_j]²</c>,
    /// which is never positive, so minimising it would push σ(o) away from the target; this is its negation with
    /// <c>y_j</c> in place of <c>y_j²</c> (the same for one-hot targets), ≥ 0 and exactly 0 at <c>σ(o) = y</c> for
    /// one-hot targets.
    /// </summary>
    /// <inheritdoc cref="Expectation"/>
    public static Tensor SquaredLog(Tensor output, Tensor target, Squash squash = Squash.Softmax, Reduction reduction = Reduction.Mean) =>
        PerClass("LectureLosses.SquaredLog", output, target, reduction, (o, y) => (y * LossInputs.Log(squash, o, y).square()).sum(1));

    /// <summary>
    /// The Tanimoto loss <c>1 − T</c>, with the Tanimoto coefficient
    /// <c>T = ⟨σ(o), y⟩ / (‖σ(o)‖₂² + ‖y‖₂² − ⟨σ(o), y⟩)</c>. T is a similarity (≤ 1, equal to 1 only at σ(o) = y);
    /// the table lists <c>−T</c>; <c>1 − T</c> has the same gradient and is ≥ 0, exactly 0 at the target. It is computed
    /// as <c>‖σ(o) − y‖₂² / (‖σ(o)‖₂² + ‖y‖₂² − ⟨σ(o), y⟩)</c>, the same value without the cancellation of <c>1 − T</c> near
    /// the target. (Undefined, NaN, only when σ(o) and y are both zero vectors, which needs <see cref="Squash.Identity"/>.)
    /// </summary>
    /// <inheritdoc cref="Expectation"/>
    public static Tensor Tanimoto(Tensor output, Tensor target, Squash squash = Squash.Softmax, Reduction reduction = Reduction.Mean) =>
        PerClass("LectureLosses.Tanimoto", output, target, reduction, (o, y) =>
        {
            var s = LossInputs.Apply(squash, o);
            var dot = (s * y).sum(1);
            return (s - y).square().sum(1) / (s.square().sum(1) + y.square().sum(1) - dot);
        });

    /// <summary>
    /// The Cauchy–Schwarz divergence, the table's formula: per sample <c>−log(⟨σ(o), y⟩ / (‖σ(o)‖₂ ‖y‖₂))</c>. It is
    /// ≥ 0 and 0 when σ(o) is parallel to y; with softmax and one-hot (or any probability) targets that means σ(o) = y.
    /// Infinite when <c>⟨σ(o), y⟩ = 0</c> (e.g. an all-zero target row). Computed in log space from log σ(o)
    /// (<c>−logsumexp(log σ + log y) + ½ logsumexp(2 log σ) + ½ log ‖y‖²</c>), so that scores far apart (a float32 softmax
    /// underflows to 0 once a logit gap passes about 89) give a large finite loss, not Inf or NaN.
    /// </summary>
    /// <inheritdoc cref="Expectation"/>
    public static Tensor CauchySchwarz(Tensor output, Tensor target, Squash squash = Squash.Softmax, Reduction reduction = Reduction.Mean) =>
        PerClass("LectureLosses.CauchySchwarz", output, target, reduction, (o, y) =>
        {
            var logS = squash == Squash.Identity ? o.log() : LossInputs.Log(squash, o, y);
            var logY = where(y.gt(0), y.log(), full_like(y, double.NegativeInfinity));
            return -(logS + logY).logsumexp(1) + 0.5 * (2 * logS).logsumexp(1) + 0.5 * y.square().sum(1).log();
        });

    /// <summary>
    /// The hinge loss of the linear SVM example, for a single score per sample and labels ±1: per sample
    /// <c>max(0, 1 − y·f)</c>, averaged over the batch by default. 0 once every sample is on its side of the margin
    /// (<c>y·f ≥ 1</c>).
    /// </summary>
    /// <param name="scores">Raw scores <c>f</c>, <c>[N]</c> or <c>[N, 1]</c>, floating point.</param>
    /// <param name="labels">Labels <c>[N]</c> or <c>[N, 1]</c>, each −1 or +1 (any numeric dtype).</param>
    /// <param name="reduction">Mean (default), sum or none over the samples.</param>
    /// <exception cref="ArgumentException">Bad shapes or dtypes, an empty batch, or a label other than −1 and +1 (the message names it).</exception>
    public static Tensor SvmHinge(Tensor scores, Tensor labels, Reduction reduction = Reduction.Mean)
    {
        const string function = "LectureLosses.SvmHinge";
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        TorchRuntime.EnsureInitialized();
        if (!TensorChecks.IsFloating(scores.dtype))
            throw new ArgumentException($"{function}: scores must be floating point, [N] or [N, 1]; got {scores.dtype} {Shapes.Format(scores)}.", nameof(scores));
        if (!(scores.dim() == 1 || (scores.dim() == 2 && scores.shape[1] == 1)))
            throw new ArgumentException($"{function}: scores must be one score per sample, [N] or [N, 1]; got {Shapes.Format(scores)}.", nameof(scores));
        var n = scores.shape[0];
        if (n == 0)
            throw new ArgumentException($"{function}: the batch is empty (scores {Shapes.Format(scores)}).", nameof(scores));
        if (!(labels.dim() == 1 || (labels.dim() == 2 && labels.shape[1] == 1)) || labels.shape[0] != n)
            throw new ArgumentException($"{function}: labels must be [N] or [N, 1] with N = {n} to match scores {Shapes.Format(scores)}; got {Shapes.Format(labels)}.", nameof(labels));
        if (!(TensorChecks.IsFloating(labels.dtype) || TensorChecks.IsInteger(labels.dtype)))
            throw new ArgumentException($"{function}: labels must be numeric (−1 or +1); got {labels.dtype} {Shapes.Format(labels)}.", nameof(labels));
        using var scope = NewDisposeScope();
        var f = scores.reshape(n);
        var y = labels.reshape(n).to(scores.dtype).to(scores.device);
        var invalid = y.ne(1).logical_and(y.ne(-1));
        if (invalid.any().item<bool>())
        {
            var value = y.masked_select(invalid)[0].to(float64).item<double>();
            throw new ArgumentException($"{function}: labels must be −1 or +1; got {value} (labels {Shapes.Format(labels)}).", nameof(labels));
        }
        return LossInputs.Reduce((1 - y * f).relu(), reduction).MoveToOuterDisposeScope();
    }

    static Tensor HingeFamily(string function, Tensor output, Tensor target, Squash squash, double margin, int power, Reduction reduction)
    {
        if (!double.IsFinite(margin) || margin <= 0)
            throw new ArgumentException($"{function}: the margin must be positive and finite; got {margin}.", nameof(margin));
        return PerClass(function, output, target, reduction, (o, y) =>
        {
            var violation = (margin - (2 * y - 1) * LossInputs.Apply(squash, o)).relu();
            return (power == 1 ? violation : violation.pow(power)).sum(1);
        });
    }

    /// <summary>The per-sample 2-norm over the classes; its gradient at 0 is 0 (libtorch's convention for norms).</summary>
    static Tensor Norm(Tensor difference) => linalg.vector_norm(difference, 2, [1]);

    static Tensor PerClass(string function, Tensor output, Tensor target, Reduction reduction, Func<Tensor, Tensor, Tensor> perSample)
    {
        TorchRuntime.EnsureInitialized();
        LossInputs.RequireScores(function, output);
        using var scope = NewDisposeScope();
        var y = LossInputs.DenseTargets(function, output, target);
        return LossInputs.Reduce(perSample(output, y), reduction).MoveToOuterDisposeScope();
    }
}
