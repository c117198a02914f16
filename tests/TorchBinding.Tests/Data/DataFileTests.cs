using System.IO.Compression;
using System.Security.Cryptography;
using TorchBinding.Data;
using TorchBinding.Data.Files;

namespace TorchBinding.Tests.Data;

/// <summary>Finding, verifying and downloading data-set files; bad files and downloads.</summary>
public class DataFileTests
{
    /// <summary>A small, valid IDX file (3 images of 2x2) to serve and find.</summary>
    static readonly byte[] TinyIdx = [0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

    static DatasetDefinition Tiny(params string[] mirrors) =>
        new("tiny", [new KnownFile("tiny-images-idx3-ubyte", Convert.ToHexStringLower(MD5.HashData(TinyIdx)), TinyIdx.Length)], mirrors, [], "make it yourself.");

    static byte[] Gzip(byte[] content, CompressionLevel level = CompressionLevel.Optimal)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, level))
            gzip.Write(content);
        return output.ToArray();
    }

    sealed class Capture : IProgress<DownloadProgress>
    {
        public List<DownloadProgress> Reports { get; } = [];
        public void Report(DownloadProgress value) => Reports.Add(value);
    }

    [Test]
    public void Download_from_a_local_server_is_verified_cached_and_then_found_in_the_cache()
    {
        using var server = new LocalHttpServer();
        using var cache = TestSupport.TemporaryFolder();
        server.Add("good/tiny-images-idx3-ubyte.gz", Gzip(TinyIdx));
        var progress = new Capture();
        var location = new DataLocation { CacheRoot = cache.Path, Progress = progress };
        var dataset = Tiny(server.Url("good/{0}.gz"));

        var first = DatasetFiles.Locate(dataset, "tiny-images-idx3-ubyte", location);
        var second = DatasetFiles.Locate(dataset, "tiny-images-idx3-ubyte", location);
        var cached = Path.Combine(cache.Path, "datasets", "tiny", "tiny-images-idx3-ubyte");
        Assert.Multiple(() =>
        {
            Assert.That(first.Content, Is.EqualTo(TinyIdx));
            Assert.That(first.Path, Is.EqualTo(cached));
            Assert.That(File.ReadAllBytes(cached), Is.EqualTo(TinyIdx), "the cache holds the uncompressed, verified file");
            Assert.That(second.Path, Is.EqualTo(cached));
            Assert.That(server.Requests, Has.Count.EqualTo(1), "the second call is served from the cache");
            Assert.That(progress.Reports[^1].BytesReceived, Is.EqualTo(progress.Reports[^1].TotalBytes));
            Assert.That(Directory.GetFiles(Path.GetDirectoryName(cached)!), Has.Length.EqualTo(1), "no temporary files are left");
        });
    }

    [Test]
    public void Corrupted_download_is_rejected_not_cached_and_the_next_mirror_is_tried()
    {
        using var server = new LocalHttpServer();
        using var cache = TestSupport.TemporaryFolder();
        var corrupted = (byte[])TinyIdx.Clone();
        corrupted[^1] ^= 0xFF;
        server.Add("bad/tiny-images-idx3-ubyte.gz", Gzip(corrupted));
        server.Add("good/tiny-images-idx3-ubyte.gz", Gzip(TinyIdx));
        var location = new DataLocation { CacheRoot = cache.Path, Progress = new Capture() };

        var result = DatasetFiles.Locate(Tiny(server.Url("bad/{0}.gz"), server.Url("good/{0}.gz")), "tiny-images-idx3-ubyte", location);
        Assert.Multiple(() =>
        {
            Assert.That(result.Content, Is.EqualTo(TinyIdx));
            Assert.That(server.Requests, Is.EqualTo(new[] { "/bad/tiny-images-idx3-ubyte.gz", "/good/tiny-images-idx3-ubyte.gz" }));
        });
    }

    [Test]
    public void When_every_mirror_fails_nothing_is_cached_and_the_error_lists_places_and_failures()
    {
        using var server = new LocalHttpServer();
        using var cache = TestSupport.TemporaryFolder();
        var corrupted = (byte[])TinyIdx.Clone();
        corrupted[20] ^= 0x01;
        server.Add("bad/tiny-images-idx3-ubyte.gz", Gzip(corrupted));
        server.AddTruncated("cut/tiny-images-idx3-ubyte.gz", Gzip(TinyIdx));
        var location = new DataLocation { CacheRoot = cache.Path, Progress = new Capture() };
        var dataset = Tiny(server.Url("bad/{0}.gz"), server.Url("cut/{0}.gz"), server.Url("missing/{0}.gz"));

        var error = Assert.Throws<FileNotFoundException>(() => DatasetFiles.Locate(dataset, "tiny-images-idx3-ubyte", location))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.Message, Does.Contain(Path.Combine(cache.Path, "datasets", "tiny", "tiny-images-idx3-ubyte.gz")), "places looked at");
            Assert.That(error.Message, Does.Contain("bad/tiny-images-idx3-ubyte.gz: checksum mismatch"));
            Assert.That(error.Message, Does.Contain("cut/tiny-images-idx3-ubyte.gz"));
            Assert.That(error.Message, Does.Contain("missing/tiny-images-idx3-ubyte.gz").And.Contain("404"));
            Assert.That(error.Message, Does.Contain("TORCHBINDING_DATA").And.Contain("make it yourself."));
            var folder = Path.Combine(cache.Path, "datasets", "tiny");
            Assert.That(!Directory.Exists(folder) || Directory.GetFiles(folder).Length == 0, Is.True, "nothing, not even a temporary file, is cached");
        });
    }

    [Test]
    public void Corrupt_cached_file_is_deleted_and_fetched_again_never_used()
    {
        using var server = new LocalHttpServer();
        using var cache = TestSupport.TemporaryFolder();
        var cached = Path.Combine(cache.Path, "datasets", "tiny", "tiny-images-idx3-ubyte");
        Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
        File.WriteAllBytes(cached, TinyIdx[..10]); // a truncated earlier download

        var offline = new DataLocation { CacheRoot = cache.Path, AllowDownload = false };
        Assert.That(() => DatasetFiles.Locate(Tiny(), "tiny-images-idx3-ubyte", offline),
            Throws.TypeOf<FileNotFoundException>().With.Message.Contain("Downloading was turned off"));
        Assert.That(File.Exists(cached), Is.False, "the corrupt copy was removed, not used");

        File.WriteAllBytes(cached, TinyIdx[..10]);
        server.Add("good/tiny-images-idx3-ubyte.gz", Gzip(TinyIdx));
        var online = offline with { AllowDownload = true, Progress = new Capture() };
        Assert.That(DatasetFiles.Locate(Tiny(server.Url("good/{0}.gz")), "tiny-images-idx3-ubyte", online).Content, Is.EqualTo(TinyIdx));
        Assert.That(File.ReadAllBytes(cached), Is.EqualTo(TinyIdx));
    }

    [Test]
    public void Corrupt_file_in_a_folder_the_user_named_is_an_error_naming_it()
    {
        using var folder = TestSupport.TemporaryFolder();
        using var cache = TestSupport.TemporaryFolder();
        var path = Path.Combine(folder.Path, "tiny-images-idx3-ubyte");
        var corrupted = (byte[])TinyIdx.Clone();
        corrupted[^2] = 99;
        File.WriteAllBytes(path, corrupted);
        var location = new DataLocation { Directory = folder.Path, CacheRoot = cache.Path, AllowDownload = false };
        Assert.That(() => DatasetFiles.Locate(Tiny(), "tiny-images-idx3-ubyte", location),
            Throws.TypeOf<InvalidDataException>().With.Message.Contain(path).And.Message.Contain("checksum mismatch"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(corrupted), "a user's file is never deleted");
    }

    [Test]
    public void Recompressed_gzip_in_a_well_known_folder_is_accepted_by_its_content()
    {
        using var system = TestSupport.TemporaryFolder();
        using var cache = TestSupport.TemporaryFolder();
        var gz = Path.Combine(system.Path, "tiny-images-idx3-ubyte.gz");
        File.WriteAllBytes(gz, Gzip(TinyIdx, CompressionLevel.SmallestSize));
        var location = new DataLocation { WellKnownFolders = [system.Path], CacheRoot = cache.Path, AllowDownload = false };
        var found = DatasetFiles.Locate(Tiny(), "tiny-images-idx3-ubyte", location);
        Assert.That((found.Path, found.Content), Is.EqualTo((gz, TinyIdx)));
    }

    [Test]
    public void Gzip_that_is_not_gzip_is_reported()
    {
        using var folder = TestSupport.TemporaryFolder();
        var gz = Path.Combine(folder.Path, "tiny-images-idx3-ubyte.gz");
        File.WriteAllBytes(gz, [0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]);
        var location = new DataLocation { Directory = folder.Path, CacheRoot = folder.Path, AllowDownload = false };
        Assert.That(() => DatasetFiles.Locate(Tiny(), "tiny-images-idx3-ubyte", location),
            Throws.TypeOf<InvalidDataException>().With.Message.Contain(gz).And.Message.Contain("not a valid gzip file"));
    }

    [Test]
    public void A_small_gzip_that_inflates_far_beyond_the_file_is_refused_without_inflating_it()
    {
        using var folder = TestSupport.TemporaryFolder();
        var gz = Path.Combine(folder.Path, "tiny-images-idx3-ubyte.gz");
        File.WriteAllBytes(gz, Gzip(new byte[2 << 20])); // 2 MB of zeros in about 2 KB
        var location = new DataLocation { Directory = folder.Path, CacheRoot = folder.Path, AllowDownload = false };
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        Assert.That(() => DatasetFiles.Locate(Tiny(), "tiny-images-idx3-ubyte", location),
            Throws.TypeOf<InvalidDataException>().With.Message.Contain(gz).And.Message.Contain($"inflates to more than the {TinyIdx.Length} bytes"));
        Assert.That(GC.GetTotalAllocatedBytes(precise: true) - allocated, Is.LessThan(8 << 20), "read only what the file can hold");
    }

    [Test]
    public void A_file_far_larger_than_the_data_sets_file_is_refused_unread()
    {
        using var folder = TestSupport.TemporaryFolder();
        var path = Path.Combine(folder.Path, "tiny-images-idx3-ubyte");
        using (var stream = File.Create(path))
            stream.SetLength(1L << 30); // a sparse 1 GB file
        var location = new DataLocation { Directory = folder.Path, CacheRoot = folder.Path, AllowDownload = false };
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        Assert.That(() => DatasetFiles.Locate(Tiny(), "tiny-images-idx3-ubyte", location),
            Throws.TypeOf<InvalidDataException>().With.Message.Contain(path).And.Message.Contain($"it is {1L << 30} bytes, more than the {TinyIdx.Length} bytes"));
        Assert.That(GC.GetTotalAllocatedBytes(precise: true) - allocated, Is.LessThan(8 << 20));
    }

    [Test]
    public void Explicit_folder_comes_first_and_its_dataset_subfolder_too()
    {
        using var folder = TestSupport.TemporaryFolder();
        using var cache = TestSupport.TemporaryFolder();
        Directory.CreateDirectory(Path.Combine(folder.Path, "tiny"));
        File.WriteAllBytes(Path.Combine(folder.Path, "tiny", "tiny-images-idx3-ubyte"), TinyIdx);
        var found = DatasetFiles.Locate(Tiny(), "tiny-images-idx3-ubyte", new DataLocation { Directory = folder.Path, CacheRoot = cache.Path, AllowDownload = false });
        Assert.That(found.Path, Is.EqualTo(Path.Combine(folder.Path, "tiny", "tiny-images-idx3-ubyte")));
    }

    [TestCase(new byte[] { 1, 0, 8, 3, 0 }, "not an IDX file")]
    [TestCase(new byte[] { 0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0 }, "type code 0x0D is not supported")]
    [TestCase(new byte[] { 0, 0, 8, 1, 0, 0, 0, 5, 1, 2, 3 }, "wrong length")]
    [TestCase(new byte[] { 0, 0, 8, 3, 0, 0 }, "truncated IDX header")]
    public void Bad_idx_content_is_named(byte[] content, string problem)
    {
        Assert.That(() => IdxFile.Parse(content, "some-file-idx"), Throws.TypeOf<InvalidDataException>().With.Message.Contain("some-file-idx").And.Message.Contain(problem));
    }

    [Test]
    public void Idx_dimensions_that_multiply_past_two_to_the_64_are_refused_not_wrapped_to_zero()
    {
        // 65536⁴ = 2⁶⁴ wraps to 0 in unchecked 64-bit arithmetic: the 20 bytes of header alone then looked like a
        // valid, empty file.
        byte[] header = [0, 0, 8, 4, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0];
        Assert.That(() => IdxFile.Parse(header, "huge-idx4-ubyte"), Throws.TypeOf<InvalidDataException>().With.Message.EqualTo(
            $"huge-idx4-ubyte: IDX dimensions [65536, 65536, 65536, 65536] multiply to more than {long.MaxValue} values: a corrupt header (the file has 20 bytes)."));
        // A product that fits but disagrees with the length is the usual length error.
        byte[] large = [0, 0, 8, 2, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF];
        Assert.That(() => IdxFile.Parse(large, "large-idx2-ubyte"), Throws.TypeOf<InvalidDataException>().With.Message.Contain("wrong length for an IDX file of shape [2147483647, 2147483647]"));
    }

    [Test]
    public void Real_mnist_labels_download_from_a_local_mirror_and_pass_the_real_checksum()
    {
        // The real file, served gzipped by a local "mirror": the download path with MNIST's own checksum.
        var source = DatasetFiles.Locate(Mnist.Definition, "t10k-labels-idx1-ubyte", new DataLocation { AllowDownload = false });
        using var server = new LocalHttpServer();
        using var cache = TestSupport.TemporaryFolder();
        server.Add("mnist/t10k-labels-idx1-ubyte.gz", Gzip(source.Content));
        var location = new DataLocation { CacheRoot = cache.Path, Mirrors = [server.Url("mnist/{0}.gz")], Progress = new Capture() };
        var downloaded = DatasetFiles.Locate(Mnist.Definition, "t10k-labels-idx1-ubyte", location);
        Assert.That(downloaded.Path, Is.EqualTo(Path.Combine(cache.Path, "datasets", "mnist", "t10k-labels-idx1-ubyte")));
        Assert.That(downloaded.Content, Is.EqualTo(source.Content));
    }
}
