using static TorchSharp.torch;

namespace TorchBinding.Data.Images;

/// <summary>Test images embedded in the library (attribution in Data/Resources/ATTRIBUTION.md).</summary>
public static class TestImages
{
    /// <summary>
    /// The 512x512 grey "camera" photograph (CC0, Lav Varshney; scikit-image's <c>data.camera</c>), the lecture's
    /// image for convolutions: float32 <c>[1, 512, 512]</c> in [0, 1].
    /// </summary>
    public static Tensor Camera()
    {
        using var resource = typeof(TestImages).Assembly.GetManifestResourceStream("TorchBinding.Data.camera.png")
            ?? throw new InvalidOperationException("The embedded camera image is missing from the TorchBinding assembly.");
        using var buffer = new MemoryStream();
        resource.CopyTo(buffer);
        return ImageFile.Decode(buffer.ToArray(), ImageColorMode.Grayscale, "camera.png (embedded)");
    }
}
