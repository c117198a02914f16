using TorchBinding.Data.Synthetic;

namespace TorchBinding.Tests.Data.Synthetic;

/// <summary>Every bad argument is refused with an exception that names the parameter, and a message that shows the value.</summary>
public class BadArgumentsTests
{
    static TestCaseData Case(string call, Func<IDisposable> make, Type exception, string parameter, string inMessage) =>
        new TestCaseData(make, exception, parameter, inMessage).SetArgDisplayNames(call);

    static readonly Type OutOfRange = typeof(ArgumentOutOfRangeException);
    static readonly Type Invalid = typeof(ArgumentException);

    static IEnumerable<TestCaseData> BadCalls()
    {
        yield return Case("Xor((BinaryEncoding)7)", () => LogicGates.Xor((BinaryEncoding)7), OutOfRange, "encoding", "7");
        yield return Case("Moons(0)", () => ToyClassification.Moons(0), OutOfRange, "n", "Actual value was 0");
        yield return Case("Moons(noise: -0.1)", () => ToyClassification.Moons(10, noise: -0.1), OutOfRange, "noise", "-0.1");
        yield return Case("Moons(noise: NaN)", () => ToyClassification.Moons(10, noise: double.NaN), OutOfRange, "noise", "NaN");
        yield return Case("Circles(-5)", () => ToyClassification.Circles(-5), OutOfRange, "n", "-5");
        yield return Case("Circles(factor: 1)", () => ToyClassification.Circles(10, factor: 1), OutOfRange, "factor", "(0, 1)");
        yield return Case("Circles(factor: 0)", () => ToyClassification.Circles(10, factor: 0), OutOfRange, "factor", "Actual value was 0");
        yield return Case("Spirals(arms: 1)", () => ToyClassification.Spirals(10, arms: 1), OutOfRange, "arms", "at least 2");
        yield return Case("Spirals(turns: 0)", () => ToyClassification.Spirals(10, turns: 0), OutOfRange, "turns", "> 0");
        yield return Case("Blobs(centers: 0)", () => ToyClassification.Blobs(10, centers: 0), OutOfRange, "centers", "Actual value was 0");
        yield return Case("Blobs(0, centers: 2)", () => ToyClassification.Blobs(0, centers: 2), OutOfRange, "n", "Actual value was 0");
        yield return Case("Blobs(no centres)", () => ToyClassification.Blobs(10, Array.Empty<(double, double)>()), Invalid, "centers", "at least one");
        yield return Case("Blobs(std: 0)", () => ToyClassification.Blobs(10, std: 0), OutOfRange, "std", "> 0");
        yield return Case("CoinFlips(0)", () => ToyClassification.CoinFlips(0), OutOfRange, "n", "Actual value was 0");
        yield return Case("CoinFlips(p: 1.5)", () => ToyClassification.CoinFlips(10, 1.5), OutOfRange, "p", "1.5");
        yield return Case("CoinFlips(p: -0.2)", () => ToyClassification.CoinFlips(10, -0.2), OutOfRange, "p", "[0, 1]");
        yield return Case("OneDimensional(0)", () => GaussianMixtures.OneDimensional(0, [0], [1]), OutOfRange, "n", "Actual value was 0");
        yield return Case("OneDimensional(no means)", () => GaussianMixtures.OneDimensional(10, [], []), Invalid, "means", "at least one");
        yield return Case("OneDimensional(stds too short)", () => GaussianMixtures.OneDimensional(10, [0, 1], [1]), Invalid, "stds", "1 values for 2 means");
        yield return Case("OneDimensional(std 0)", () => GaussianMixtures.OneDimensional(10, [0, 1], [1, 0]), OutOfRange, "stds", "stds[1]");
        yield return Case("TwoDimensional(weight < 0)", () => GaussianMixtures.TwoDimensional(10, [(0, 0), (1, 1)], [1, 1], [0.5, -1]), OutOfRange, "weights", "weights[1]");
        yield return Case("TwoDimensional(weights all 0)", () => GaussianMixtures.TwoDimensional(10, [(0, 0), (1, 1)], [1, 1], [0, 0]), Invalid, "weights", "all be zero");
        yield return Case("TwoDimensional(weights too long)", () => GaussianMixtures.TwoDimensional(10, [(0, 0)], [1], [0.5, 0.5]), Invalid, "weights", "2 values for 1 means");
        yield return Case("SquareWaveFourier(points: 1)", () => FunctionTargets.SquareWaveFourier(points: 1), OutOfRange, "points", "at least 2");
        yield return Case("SineProduct(noise: -1)", () => FunctionTargets.SineProduct(noise: -1), OutOfRange, "noise", "-1");
        yield return Case("NextBit(\"10201\")", () => BitSequences.NextBit("10201", 2), Invalid, "bits", "position 2 holds '2'");
        yield return Case("NextBit(\"\")", () => BitSequences.NextBit("", 1), Invalid, "bits", "empty");
        yield return Case("NextBit(k = length)", () => BitSequences.NextBit("1010", 4), OutOfRange, "k", "length 4");
        yield return Case("NextBit(k = 0)", () => BitSequences.NextBit("1010", 0), OutOfRange, "k", "Actual value was 0");
        yield return Case("PlusMinusImage(size: 2)", () => PatternDetection.PlusMinusImage(size: 2), OutOfRange, "size", "at least 3");
        yield return Case("PlusMinusImage(plusCount: -1)", () => PatternDetection.PlusMinusImage(plusCount: -1), OutOfRange, "plusCount", "-1");
        yield return Case("PlusMinusImage(minusCount: -1)", () => PatternDetection.PlusMinusImage(minusCount: -1), OutOfRange, "minusCount", "-1");
        yield return Case("PlusMinusImage(too many)", () => PatternDetection.PlusMinusImage(size: 16, plusCount: 10, minusCount: 10), Invalid, "plusCount", "at most 16 fit");
        yield return Case("Shapes(0)", () => ShapesSegmentation.Generate(0), OutOfRange, "n", "Actual value was 0");
        yield return Case("Shapes(size: 8)", () => ShapesSegmentation.Generate(2, size: 8), OutOfRange, "size", "at least 16");
        yield return Case("Shapes(noise: -0.1)", () => ShapesSegmentation.Generate(2, noise: -0.1), OutOfRange, "noise", "-0.1");
    }

    [TestCaseSource(nameof(BadCalls))]
    public void Bad_argument_is_refused_naming_the_parameter(Func<IDisposable> make, Type exception, string parameter, string inMessage)
    {
        var thrown = Assert.Throws(exception, () => make().Dispose());
        Assert.Multiple(() =>
        {
            Assert.That(((ArgumentException)thrown!).ParamName, Is.EqualTo(parameter));
            Assert.That(thrown.Message, Does.Contain(inMessage));
        });
    }
}
