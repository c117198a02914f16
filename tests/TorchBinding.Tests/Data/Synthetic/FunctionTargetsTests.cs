using TorchBinding.Data.Synthetic;
using static TorchBinding.Tests.Data.Synthetic.TensorValues;

namespace TorchBinding.Tests.Data.Synthetic;

public class FunctionTargetsTests
{
    static double SquareWave(double x) => 4 / Math.PI * (Math.Sin(Math.PI * x) + Math.Sin(3 * Math.PI * x) / 3 + Math.Sin(5 * Math.PI * x) / 5);

    [Test]
    public void Square_wave_has_50_points_on_minus_one_to_one_and_the_three_term_series()
    {
        using var wave = FunctionTargets.SquareWaveFourier();
        var x = Floats(wave.Inputs);
        var y = Floats(wave.Targets);
        Assert.Multiple(() =>
        {
            Assert.That(wave.Inputs.shape, Is.EqualTo(new long[] { 50, 1 }));
            Assert.That(wave.Targets.shape, Is.EqualTo(new long[] { 50, 1 }));
            Assert.That(x[0], Is.EqualTo(-1f));
            Assert.That(x[^1], Is.EqualTo(1f));
            Assert.That(x[1] - x[0], Is.EqualTo(2f / 49).Within(1e-6));
            for (var i = 0; i < x.Length; i++)
                Assert.That(y[i], Is.EqualTo(SquareWave(x[i])).Within(1e-5), $"x = {x[i]}");
        });
    }

    [Test]
    public void Square_wave_at_a_half_is_four_over_pi_times_one_minus_a_third_plus_a_fifth()
    {
        using var wave = FunctionTargets.SquareWaveFourier(points: 5); // x = -1, -0.5, 0, 0.5, 1
        var y = Floats(wave.Targets);
        var expected = 4 / Math.PI * (1 - 1.0 / 3 + 1.0 / 5);
        Assert.Multiple(() =>
        {
            Assert.That(Floats(wave.Inputs), Is.EqualTo(new float[] { -1, -0.5f, 0, 0.5f, 1 }));
            Assert.That(y[3], Is.EqualTo(expected).Within(1e-6));
            Assert.That(y[1], Is.EqualTo(-expected).Within(1e-6));
            Assert.That(y[2], Is.EqualTo(0).Within(1e-6));
        });
    }

    [Test]
    public void Sine_product_has_100_points_on_zero_to_two_pi_and_sin_x_sin_4x()
    {
        using var product = FunctionTargets.SineProduct();
        using var eighths = FunctionTargets.SineProduct(points: 17); // x = i·π/8
        var x = Floats(product.Inputs);
        var y = Floats(product.Targets);
        Assert.Multiple(() =>
        {
            Assert.That(product.Inputs.shape, Is.EqualTo(new long[] { 100, 1 }));
            Assert.That(product.Targets.shape, Is.EqualTo(new long[] { 100, 1 }));
            Assert.That(x[0], Is.EqualTo(0f));
            Assert.That(x[^1], Is.EqualTo((float)(2 * Math.PI)));
            for (var i = 0; i < x.Length; i++)
                Assert.That(y[i], Is.EqualTo(Math.Sin(x[i]) * Math.Sin(4 * x[i])).Within(1e-5), $"x = {x[i]}");
            // sin(π/8)·sin(π/2) = sin(π/8)
            Assert.That(Floats(eighths.Targets)[1], Is.EqualTo(Math.Sin(Math.PI / 8)).Within(1e-6));
        });
    }

    [Test]
    public void Noise_is_seeded_and_absent_by_default()
    {
        using var clean = FunctionTargets.SineProduct(seed: 1);
        using var cleanOther = FunctionTargets.SineProduct(seed: 2);
        using var noisy = FunctionTargets.SineProduct(points: 2000, noise: 0.1, seed: 1);
        using var same = FunctionTargets.SineProduct(points: 2000, noise: 0.1, seed: 1);
        using var other = FunctionTargets.SineProduct(points: 2000, noise: 0.1, seed: 2);
        using var exact = FunctionTargets.SineProduct(points: 2000);
        var residual = Floats(noisy.Targets).Zip(Floats(exact.Targets), (a, b) => (double)a - b).ToArray();
        var std = Math.Sqrt(residual.Select(r => r * r).Average());
        Assert.Multiple(() =>
        {
            Assert.That(TensorValues.Identical(clean.Targets, cleanOther.Targets), Is.True, "no noise: the seed does not matter");
            Assert.That(TensorValues.Identical(noisy.Targets, same.Targets), Is.True);
            Assert.That(TensorValues.Identical(noisy.Targets, other.Targets), Is.False);
            Assert.That(TensorValues.Identical(noisy.Inputs, exact.Inputs), Is.True, "noise only on the targets");
            Assert.That(std, Is.EqualTo(0.1).Within(0.01));
        });
    }
}
