namespace TorchBinding.Data.Files;

/// <summary>A file a data set needs: its canonical (uncompressed) name, the MD5 and the size of its uncompressed bytes.</summary>
/// <param name="Name">The file name, e.g. <c>train-images-idx3-ubyte</c>; it may be stored as is or as <c>NAME.gz</c>.</param>
/// <param name="Md5">MD5 of the uncompressed content (hex). Verifying the content, not the archive, accepts
/// recompressed copies (Debian recompresses Fashion-MNIST) and rejects every altered one.</param>
/// <param name="Size">The uncompressed content's length in bytes: nothing larger is read, inflated or downloaded, so a
/// small archive that inflates to gigabytes (or a huge file in its place) is refused without filling memory.</param>
public sealed record KnownFile(string Name, string Md5, long Size);

/// <summary>
/// Where a data set's files may be found and fetched: the files with their checksums, download mirrors
/// (URL templates, <c>{0}</c> = file name; tried in order), folders where systems install them, and a
/// sentence on how to get them by hand.
/// </summary>
/// <param name="Name">The data set's folder name in the cache and under <c>TORCHBINDING_DATA</c>, e.g. <c>mnist</c>.</param>
/// <param name="Files">The files, with checksums.</param>
/// <param name="Mirrors">URL templates such as <c>https://host/mnist/{0}.gz</c>.</param>
/// <param name="WellKnownFolders">Folders a package manager installs the files to.</param>
/// <param name="HowToGet">What a user can do when nothing works.</param>
public sealed record DatasetDefinition(
    string Name,
    IReadOnlyList<KnownFile> Files,
    IReadOnlyList<string> Mirrors,
    IReadOnlyList<string> WellKnownFolders,
    string HowToGet)
{
    /// <summary>The file of this data set with the given name.</summary>
    public KnownFile File(string name) =>
        Files.FirstOrDefault(f => f.Name == name) ?? throw new ArgumentException($"Data set '{Name}' has no file '{name}'.", nameof(name));
}
