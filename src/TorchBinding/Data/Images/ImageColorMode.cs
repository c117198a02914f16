namespace TorchBinding.Data.Images;

/// <summary>The channels <see cref="ImageFile.Read"/> returns.</summary>
public enum ImageColorMode
{
    /// <summary>
    /// As the file stores it: one channel for a grey image (including grey with alpha), three otherwise.
    /// An alpha channel is dropped, never composited onto a background.
    /// </summary>
    AsStored,

    /// <summary>
    /// One channel. A grey image's values as stored; a colour image's luminance
    /// <c>0.299 R + 0.587 G + 0.114 B</c> (ITU-R BT.601, the weights of PIL's <c>convert("L")</c> and
    /// torchvision's <c>rgb_to_grayscale</c>), kept as a float, not rounded to 8 bits.
    /// </summary>
    Grayscale,

    /// <summary>Three channels R, G, B; a grey image's value is repeated in all three.</summary>
    Rgb,
}
