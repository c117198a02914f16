using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchBinding.Data.Augmentation;

/// <summary>
/// Rotates each image about its centre by an angle drawn uniformly from
/// [-<see cref="Degrees"/>, +<see cref="Degrees"/>] (positive = counter-clockwise as displayed, like
/// torchvision's RandomRotation), through <c>affine_grid</c> + <c>grid_sample</c>. Pixels whose source lies
/// outside the image are filled with zeros. Rotation works in pixel units, so non-square images are not
/// sheared.
/// </summary>
public sealed class RandomRotation : BatchTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="degrees">The largest rotation, in degrees, in [0, 180].</param>
    /// <param name="mode">The interpolation: bilinear (default) or nearest.</param>
    /// <param name="seed">The seed; null draws one from <see cref="Runtime.Seeding.NextSeed"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="degrees"/> is not in [0, 180].</exception>
    public RandomRotation(double degrees, GridSampleMode mode = GridSampleMode.Bilinear, int? seed = null) : base(seed)
    {
        if (!double.IsFinite(degrees) || degrees is < 0 or > 180)
            throw new ArgumentOutOfRangeException(nameof(degrees), degrees, $"{nameof(RandomRotation)}: the largest angle must be in [0, 180] degrees.");
        Degrees = degrees;
        Mode = mode;
    }

    /// <summary>The largest rotation, in degrees.</summary>
    public double Degrees { get; }

    /// <summary>The interpolation.</summary>
    public GridSampleMode Mode { get; }

    /// <summary>The angles (degrees, counter-clockwise) drawn for the last batch, one per image.</summary>
    public IReadOnlyList<double> LastAngles { get; private set; } = [];

    /// <inheritdoc/>
    protected override Tensor Transform(Tensor batch)
    {
        var n = (int)batch.shape[0];
        var angles = new double[n];
        for (var i = 0; i < n; i++)
            angles[i] = Uniform(-Degrees, Degrees);
        LastAngles = angles;
        return Rotate(batch, angles, Mode);
    }

    /// <summary>Rotates image <c>i</c> of the batch by <paramref name="degrees"/>[i], counter-clockwise as displayed.</summary>
    internal static Tensor Rotate(Tensor batch, IReadOnlyList<double> degrees, GridSampleMode mode)
    {
        var (n, height, width) = (batch.shape[0], (double)batch.shape[2], (double)batch.shape[3]);
        if (n == 0)
            return batch.clone(); // affine_grid refuses an empty batch
        // grid_sample asks, for each output pixel, where to read in the input: the inverse rotation. In
        // pixel units (y down) that is [[cos, -sin], [sin, cos]]; affine_grid's coordinates are normalised
        // to [-1, 1] per axis, hence the H/W and W/H factors for non-square images.
        var theta = new double[n * 6];
        for (var i = 0; i < n; i++)
        {
            var radians = degrees[i] * Math.PI / 180;
            var (sin, cos) = Math.SinCos(radians);
            theta[6 * i + 0] = cos;
            theta[6 * i + 1] = -sin * height / width;
            theta[6 * i + 3] = sin * width / height;
            theta[6 * i + 4] = cos;
        }
        // grid_sample is implemented for float32/float64; half types take a float32 detour.
        var work = batch.dtype is ScalarType.Float32 or ScalarType.Float64 ? batch : batch.to(ScalarType.Float32);
        var thetas = tensor(theta, [n, 2, 3], dtype: work.dtype, device: batch.device);
        var grid = F.affine_grid(thetas, batch.shape, align_corners: false);
        var rotated = F.grid_sample(work, grid, mode, GridSamplePaddingMode.Zeros, align_corners: false);
        return rotated.to(batch.dtype);
    }
}
