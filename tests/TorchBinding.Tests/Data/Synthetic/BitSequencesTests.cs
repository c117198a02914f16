using TorchBinding.Data.Synthetic;
using static TorchBinding.Tests.Data.Synthetic.TensorValues;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data.Synthetic;

public class BitSequencesTests
{
    const string Bits = "111101111011110";

    [Test]
    public void Next_bit_gives_one_sample_per_position_after_the_context()
    {
        using var data = BitSequences.NextBit(Bits, k: 4);
        var inputs = Floats(data.Inputs);
        var labels = data.ClassLabels();
        Assert.Multiple(() =>
        {
            Assert.That(data.Count, Is.EqualTo(Bits.Length - 4));
            Assert.That(data.Inputs.shape, Is.EqualTo(new long[] { 11, 4 }));
            Assert.That(data.Inputs.dtype, Is.EqualTo(ScalarType.Float32));
            Assert.That(data.Targets.dtype, Is.EqualTo(ScalarType.Int64));
            Assert.That(data.ClassNames, Is.EqualTo(new[] { "0", "1" }));
            // The first sample: context "1111", next bit 0.
            Assert.That(inputs[..4], Is.EqualTo(new float[] { 1, 1, 1, 1 }));
            Assert.That(labels[0], Is.EqualTo(0));
            for (var s = 0; s < data.Count; s++)
            {
                Assert.That(string.Concat(inputs[(4 * s)..(4 * s + 4)].Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture))), Is.EqualTo(Bits.Substring(s, 4)), $"context of sample {s}");
                Assert.That(labels[s], Is.EqualTo(Bits[s + 4] - '0'), $"target of sample {s}");
            }
        });
    }

    [Test]
    public void Cyclic_next_bit_wraps_the_context_around_the_end()
    {
        using var data = BitSequences.NextBit(Bits, k: 4, cyclic: true);
        var inputs = Floats(data.Inputs);
        Assert.Multiple(() =>
        {
            Assert.That(data.Count, Is.EqualTo(Bits.Length));
            Assert.That(inputs[..4], Is.EqualTo(new float[] { 1, 1, 1, 0 }), "the last four bits precede position 0");
            Assert.That(data.ClassLabels()[0], Is.EqualTo(1));
            Assert.That(inputs[16..20], Is.EqualTo(new float[] { 1, 1, 1, 1 }), "sample 4 is the first non-cyclic one");
            Assert.That(data.ClassLabels()[4], Is.EqualTo(0));
        });
    }
}
