using TorchBinding.Data.Synthetic;
using static TorchBinding.Tests.Data.Synthetic.TensorValues;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data.Synthetic;

public class LogicGatesTests
{
    [TestCase(BinaryEncoding.ZeroOne, new float[] { 0, 0, 0, 1, 1, 0, 1, 1 }, new float[] { 0, 1, 1, 0 })]
    [TestCase(BinaryEncoding.PlusMinusOne, new float[] { -1, -1, -1, 1, 1, -1, 1, 1 }, new float[] { -1, 1, 1, -1 })]
    public void Xor_holds_the_four_points_and_their_exclusive_or(BinaryEncoding encoding, float[] inputs, float[] targets)
    {
        using var xor = LogicGates.Xor(encoding);
        Assert.Multiple(() =>
        {
            Assert.That(xor.Inputs.shape, Is.EqualTo(new long[] { 4, 2 }));
            Assert.That(xor.Targets.shape, Is.EqualTo(new long[] { 4, 1 }));
            Assert.That(xor.Inputs.dtype, Is.EqualTo(ScalarType.Float32));
            Assert.That(xor.Targets.dtype, Is.EqualTo(ScalarType.Float32));
            Assert.That(Floats(xor.Inputs), Is.EqualTo(inputs));
            Assert.That(Floats(xor.Targets), Is.EqualTo(targets));
        });
    }

    [TestCase(BinaryEncoding.ZeroOne, new float[] { 0, 0, 0, 1, 1, 0, 1, 1 }, new float[] { 0, 0, 0, 1 })]
    [TestCase(BinaryEncoding.PlusMinusOne, new float[] { -1, -1, -1, 1, 1, -1, 1, 1 }, new float[] { -1, -1, -1, 1 })]
    public void And_holds_the_four_points_and_their_conjunction(BinaryEncoding encoding, float[] inputs, float[] targets)
    {
        using var and = LogicGates.And(encoding);
        Assert.Multiple(() =>
        {
            Assert.That(Floats(and.Inputs), Is.EqualTo(inputs));
            Assert.That(Floats(and.Targets), Is.EqualTo(targets));
            Assert.That(and.Targets.shape, Is.EqualTo(new long[] { 4, 1 }));
        });
    }

    [Test]
    public void Hinge_toy_has_the_lecture_points_with_the_two_near_the_origin_negative()
    {
        using var hinge = ToyClassification.HingeLossToy();
        Assert.Multiple(() =>
        {
            Assert.That(Floats(hinge.Inputs), Is.EqualTo(new float[] { -1, 0, 0, 1, 4, 4, 2, 3 }));
            Assert.That(hinge.Inputs.shape, Is.EqualTo(new long[] { 4, 2 }));
            Assert.That(Floats(hinge.Targets), Is.EqualTo(new float[] { -1, -1, 1, 1 }));
            Assert.That(hinge.Targets.shape, Is.EqualTo(new long[] { 4, 1 }));
            Assert.That(hinge.Targets.dtype, Is.EqualTo(ScalarType.Float32));
        });
    }
}
