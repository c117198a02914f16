using System.Text;

namespace TorchBinding.Losses;

/// <summary>
/// One loss of the lecture's table: its name, both formulas (the lecture's and the one implemented), how they relate,
/// and a factory for a <see cref="LossFunction"/>.
/// </summary>
public sealed class LossDefinition
{
    readonly Func<Squash, Reduction, LossFunction> _factory;

    internal LossDefinition(string name, string title, string lectureFormula, string formula, string note, bool usesSquash, Func<Squash, Reduction, LossFunction> factory)
    {
        Name = name;
        Title = title;
        LectureFormula = lectureFormula;
        Formula = formula;
        Note = note;
        UsesSquash = usesSquash;
        _factory = factory;
    }

    /// <summary>The loss's key, snake_case, e.g. <c>squared_hinge</c> (for command lines and run records).</summary>
    public string Name { get; }

    /// <summary>The loss's name as the lecture says it, e.g. "squared hinge".</summary>
    public string Title { get; }

    /// <summary>The per-sample formula as the lecture's table writes it.</summary>
    public string LectureFormula { get; }

    /// <summary>The per-sample formula as implemented (the batch value is the mean over samples).</summary>
    public string Formula { get; }

    /// <summary>How the implemented formula relates to the lecture's, and its conventions.</summary>
    public string Note { get; }

    /// <summary>Whether the loss applies σ (a <see cref="Squash"/>) to the outputs; L1, L2 and the SVM hinge do not.</summary>
    public bool UsesSquash { get; }

    /// <summary>
    /// The loss as a <see cref="LossFunction"/>. σ defaults to softmax, the table's choice, for the losses that use it.
    /// </summary>
    /// <param name="squash">σ; must be null or <see cref="Squash.Identity"/> for a loss that does not use it.</param>
    /// <param name="reduction">Mean (default), sum or none over the samples.</param>
    /// <exception cref="ArgumentException">A σ other than identity for a loss on raw scores.</exception>
    public LossFunction Create(Squash? squash = null, Reduction reduction = Reduction.Mean)
    {
        if (!UsesSquash && squash is { } given && given != Squash.Identity)
            throw new ArgumentException($"LossDefinition.Create: the {Name} loss acts on raw scores and takes no σ; got {given}. (The expectation losses are L1 and L2 of σ(o).)", nameof(squash));
        if (!Enum.IsDefined(reduction))
            throw new ArgumentException($"LossDefinition.Create: unknown reduction {reduction}.", nameof(reduction));
        return _factory(squash ?? (UsesSquash ? Squash.Softmax : Squash.Identity), reduction);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Formula}";
}

/// <summary>
/// The lecture's loss table as data: every loss of <see cref="LectureLosses"/> with its name and formulas, for
/// choosing a loss by name (<c>LossCatalog.Get("tanimoto").Create(Squash.Sigmoid)</c>) and printing the table
/// (<see cref="FormatTable"/>). The weight penalties of <see cref="WeightPenalty"/> take parameters, not outputs and
/// targets, and are not listed.
/// </summary>
public static class LossCatalog
{
    /// <summary>L1 on raw scores.</summary>
    public static LossDefinition L1 { get; } = new("l1", "L1", "‖y − o‖₁", "Σ_j |o_j − y_j|",
        "As in the table, on raw scores.", false, (_, r) => (o, y) => LectureLosses.L1(o, y, r));

    /// <summary>L2 on raw scores, squared.</summary>
    public static LossDefinition L2 { get; } = new("l2", "L2", "‖y − o‖₂²", "Σ_j (o_j − y_j)²",
        "As in the table (squared), on raw scores; l2_norm is the norm.", false, (_, r) => (o, y) => LectureLosses.L2(o, y, r));

    /// <summary>L2 on raw scores, the norm.</summary>
    public static LossDefinition L2Norm { get; } = new("l2_norm", "L2 (norm)", "‖y − o‖₂", "√(Σ_j (o_j − y_j)²)",
        "The unsquared L2; gradient 0 at o = y.", false, (_, r) => (o, y) => LectureLosses.L2Norm(o, y, r));

    /// <summary>The expectation loss.</summary>
    public static LossDefinition Expectation { get; } = new("expectation", "expectation loss", "‖y − σ(o)‖₁", "Σ_j |σ(o)_j − y_j|",
        "As in the table.", true, (s, r) => (o, y) => LectureLosses.Expectation(o, y, s, r));

    /// <summary>The regularised expectation loss, the norm.</summary>
    public static LossDefinition RegularisedExpectation { get; } = new("regularised_expectation", "regularised expectation loss", "‖y − σ(o)‖₂", "√(Σ_j (σ(o)_j − y_j)²)",
        "As the lecture writes it (the norm); regularised_expectation_squared is the squared form.", true, (s, r) => (o, y) => LectureLosses.RegularisedExpectation(o, y, s, r));

    /// <summary>The regularised expectation loss, squared.</summary>
    public static LossDefinition RegularisedExpectationSquared { get; } = new("regularised_expectation_squared", "regularised expectation loss (squared)", "‖y − σ(o)‖₂²", "Σ_j (σ(o)_j − y_j)²",
        "The squared form (the Brier score with softmax).", true, (s, r) => (o, y) => LectureLosses.RegularisedExpectationSquared(o, y, s, r));

    /// <summary>The Chebyshev loss.</summary>
    public static LossDefinition Chebyshev { get; } = new("chebyshev", "Chebyshev loss", "max_j |σ(o)_j − y_j|", "max_j |σ(o)_j − y_j|",
        "As in the table.", true, (s, r) => (o, y) => LectureLosses.Chebyshev(o, y, s, r));

    /// <summary>The hinge loss (margin 1).</summary>
    public static LossDefinition Hinge { get; } = new("hinge", "hinge (margin) loss", "Σ_j max(0, 1 − y_j σ(o)_j)", "Σ_j max(0, 1 − ŷ_j σ(o)_j), ŷ = 2y − 1",
        "Labels mapped to ±1. The paper's raw-score form Σ_j max(0, ½ − ŷ_j o_j) is σ = identity, margin ½ (LectureLosses.Hinge).", true,
        (s, r) => (o, y) => LectureLosses.Hinge(o, y, s, 1.0, r));

    /// <summary>The squared hinge loss (margin 1).</summary>
    public static LossDefinition SquaredHinge { get; } = new("squared_hinge", "squared hinge", "Σ_j max(0, 1 − y_j σ(o)_j)²", "Σ_j max(0, 1 − ŷ_j σ(o)_j)², ŷ = 2y − 1",
        "As hinge, squared.", true, (s, r) => (o, y) => LectureLosses.SquaredHinge(o, y, s, 1.0, r));

    /// <summary>The cubed hinge loss (margin 1).</summary>
    public static LossDefinition CubedHinge { get; } = new("cubed_hinge", "cubed hinge", "Σ_j max(0, 1 − y_j σ(o)_j)³", "Σ_j max(0, 1 − ŷ_j σ(o)_j)³, ŷ = 2y − 1",
        "As hinge, cubed.", true, (s, r) => (o, y) => LectureLosses.CubedHinge(o, y, s, 1.0, r));

    /// <summary>The log loss (cross-entropy).</summary>
    public static LossDefinition Log { get; } = new("log", "log loss (cross-entropy)", "−Σ_j y_j log σ(o)_j", "−Σ_j y_j log σ(o)_j",
        "As in the table; computed in log space.", true, (s, r) => (o, y) => LectureLosses.Log(o, y, s, r));

    /// <summary>The squared log loss, in the form minimised at the target.</summary>
    public static LossDefinition SquaredLog { get; } = new("squared_log", "squared log loss", "−Σ_j [y_j log σ(o)_j]²", "Σ_j y_j (log σ(o)_j)²",
        "The table's form is never positive (minimising it moves σ(o) away from y); this is its negation, 0 at the target.", true,
        (s, r) => (o, y) => LectureLosses.SquaredLog(o, y, s, r));

    /// <summary>The Tanimoto loss, <c>1 − T</c>.</summary>
    public static LossDefinition Tanimoto { get; } = new("tanimoto", "Tanimoto loss", "−⟨σ(o), y⟩ / (‖σ(o)‖₂² + ‖y‖₂² − ⟨σ(o), y⟩)", "1 − ⟨σ(o), y⟩ / (‖σ(o)‖₂² + ‖y‖₂² − ⟨σ(o), y⟩)",
        "The Tanimoto coefficient T is a similarity; 1 − T has the gradient of −T and is 0 at the target.", true,
        (s, r) => (o, y) => LectureLosses.Tanimoto(o, y, s, r));

    /// <summary>The Cauchy–Schwarz divergence.</summary>
    public static LossDefinition CauchySchwarz { get; } = new("cauchy_schwarz", "Cauchy–Schwarz divergence", "−log(⟨σ(o), y⟩ / (‖σ(o)‖₂ ‖y‖₂))", "−log(⟨σ(o), y⟩ / (‖σ(o)‖₂ ‖y‖₂))",
        "As in the table; 0 when σ(o) is parallel to y.", true, (s, r) => (o, y) => LectureLosses.CauchySchwarz(o, y, s, r));

    /// <summary>The linear SVM's hinge loss for ±1 labels and one score per sample.</summary>
    public static LossDefinition SvmHinge { get; } = new("svm_hinge", "hinge (linear SVM, ±1 labels)", "max(0, 1 − y·f)", "max(0, 1 − y·f), y ∈ {−1, +1}, f: [N] or [N, 1]",
        "One raw score per sample; labels must be ±1.", false, (_, r) => (o, y) => LectureLosses.SvmHinge(o, y, r));

    /// <summary>Every loss of the table, in the lecture's order, then the SVM hinge.</summary>
    public static IReadOnlyList<LossDefinition> All { get; } =
    [
        L1, L2, L2Norm, Expectation, RegularisedExpectation, RegularisedExpectationSquared, Chebyshev,
        Hinge, SquaredHinge, CubedHinge, Log, SquaredLog, Tanimoto, CauchySchwarz, SvmHinge,
    ];

    /// <summary>A loss by its <see cref="LossDefinition.Name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No loss has that name; the message lists the names.</exception>
    public static LossDefinition Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.FirstOrDefault(d => d.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"LossCatalog.Get: no loss is named '{name}'; the names are: {string.Join(", ", All.Select(d => d.Name))}.", nameof(name));
    }

    /// <summary>
    /// The table as Markdown (with <c>|</c> in formulas escaped): name, the lecture's formula, the implemented formula, and the note. <c>o</c> are raw
    /// scores, <c>y</c> the one-hot target, <c>σ</c> the chosen squash (softmax by default); the batch value is the mean
    /// of the per-sample values.
    /// </summary>
    public static string FormatTable()
    {
        var text = new StringBuilder();
        text.AppendLine("| loss | name | lecture | implemented (per sample) | note |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var d in All)
            text.AppendLine($"| {Cell(d.Title)} | `{d.Name}` | {Cell(d.LectureFormula)} | {Cell(d.Formula)} | {Cell(d.Note)} |");
        return text.ToString();
    }

    /// <summary>A table cell: the absolute-value bars of the formulas escaped so that they do not split the cell.</summary>
    static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
