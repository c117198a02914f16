using TorchBinding.Runtime;

namespace TorchBinding.Tests.Runtime;

public class ExternalLibTorchTests
{
    static LibTorchLocation Location(string? version) => new("/opt/libtorch/lib", version, "test");

    [Test]
    public void Version_is_read_from_a_pytorch_install_and_from_a_libtorch_distribution()
    {
        using var folder = TestSupport.TemporaryFolder();
        var torchLib = Directory.CreateDirectory(Path.Combine(folder.Path, "torch", "lib")).FullName;
        File.WriteAllText(Path.Combine(folder.Path, "torch", "version.py"), "from typing import Optional\n__version__ = '2.11.0+cu130'\ngit_version = 'abc'\n");
        var distLib = Directory.CreateDirectory(Path.Combine(folder.Path, "libtorch", "lib")).FullName;
        File.WriteAllText(Path.Combine(folder.Path, "libtorch", "build-version"), "2.10.0+cu128\n");
        var bare = Directory.CreateDirectory(Path.Combine(folder.Path, "bare", "lib")).FullName;
        Assert.Multiple(() =>
        {
            Assert.That(ExternalLibTorch.ReadVersion(torchLib), Is.EqualTo("2.11.0+cu130"));
            Assert.That(ExternalLibTorch.ReadVersion(distLib), Is.EqualTo("2.10.0+cu128"));
            Assert.That(ExternalLibTorch.ReadVersion(bare), Is.Null);
        });
    }

    [TestCase("2.10.0+cu128")]
    [TestCase("2.10.1")]
    public void Built_for_version_is_accepted_silently(string version)
    {
        var messages = new List<string>();
        ExternalLibTorch.CheckVersion(Location(version), new RuntimeOptions { Log = messages.Add });
        Assert.That(messages, Is.Empty);
    }

    [Test]
    public void Seen_working_version_is_accepted_with_a_note()
    {
        var messages = new List<string>();
        ExternalLibTorch.CheckVersion(Location("2.11.0+cu130"), new RuntimeOptions { Log = messages.Add });
        Assert.That(messages, Has.Count.EqualTo(1).And.Some.Contain("seen working"));
    }

    [TestCase("2.9.1")]
    [TestCase("2.12.0")]
    [TestCase("1.13.1")]
    public void Other_versions_are_refused_when_strict_and_warned_about_otherwise(string version)
    {
        var messages = new List<string>();
        Assert.That(() => ExternalLibTorch.CheckVersion(Location(version), new RuntimeOptions { Log = messages.Add }),
            Throws.TypeOf<RuntimeInitializationException>().With.Message.Contain(version).And.Message.Contain("built for libtorch 2.10"));
        ExternalLibTorch.CheckVersion(Location(version), new RuntimeOptions { Log = messages.Add, VersionCheck = LibTorchVersionCheck.Warn });
        Assert.That(messages, Has.Count.EqualTo(1).And.Some.StartsWith("warning:").And.Some.Contain(version));
    }

    [Test]
    public void Unknown_version_is_a_warning()
    {
        var messages = new List<string>();
        ExternalLibTorch.CheckVersion(Location(null), new RuntimeOptions { Log = messages.Add });
        Assert.That(messages, Has.Count.EqualTo(1).And.Some.Contain("could not tell the version"));
    }

    [Test]
    public void Folder_without_libtorch_is_refused_with_its_name()
    {
        using var folder = TestSupport.TemporaryFolder();
        Assert.That(() => ExternalLibTorch.Find(new RuntimeOptions { LibTorchDirectory = folder.Path }),
            Throws.TypeOf<RuntimeInitializationException>().With.Message.Contain(folder.Path).And.Message.Contain("holds no libtorch_cpu"));
    }

    [Test]
    public void Root_of_a_libtorch_distribution_is_accepted_for_its_lib_folder()
    {
        using var folder = TestSupport.TemporaryFolder();
        var lib = Directory.CreateDirectory(Path.Combine(folder.Path, "lib")).FullName;
        File.WriteAllText(Path.Combine(lib, "libtorch_cpu.so"), "");
        File.WriteAllText(Path.Combine(folder.Path, "build-version"), "2.10.0+cpu");
        var location = ExternalLibTorch.Find(new RuntimeOptions { LibTorchDirectory = folder.Path });
        Assert.That(location, Is.EqualTo(new LibTorchLocation(lib, "2.10.0+cpu", $"TORCHBINDING_LIBTORCH={folder.Path}")));
    }

    [Test]
    public void Missing_python_is_reported_with_what_to_set()
    {
        Assert.That(() => ExternalLibTorch.FindPythonTorch("/nonexistent/python3"),
            Throws.TypeOf<RuntimeInitializationException>().With.Message.Contain("/nonexistent/python3").And.Message.Contain("TORCHBINDING_PYTHON"));
    }

    [Test]
    public void Options_are_read_from_the_environment_variables()
    {
        var saved = new[] { "TORCHBINDING_LIBTORCH", "TORCHBINDING_COMPAT_FIX", "TORCHBINDING_THREADS", "TORCHBINDING_LIBTORCH_VERSION_CHECK" }
            .ToDictionary(n => n, Environment.GetEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable("TORCHBINDING_LIBTORCH", "python");
            Environment.SetEnvironmentVariable("TORCHBINDING_COMPAT_FIX", "0");
            Environment.SetEnvironmentVariable("TORCHBINDING_THREADS", "3");
            Environment.SetEnvironmentVariable("TORCHBINDING_LIBTORCH_VERSION_CHECK", "warn");
            var options = RuntimeOptions.FromEnvironment();
            Assert.Multiple(() =>
            {
                Assert.That(options.UsePythonTorch, Is.True);
                Assert.That(options.CompatibilityFix, Is.False);
                Assert.That(options.Threads, Is.EqualTo(3));
                Assert.That(options.VersionCheck, Is.EqualTo(LibTorchVersionCheck.Warn));
            });
            Environment.SetEnvironmentVariable("TORCHBINDING_THREADS", "many");
            Assert.That(RuntimeOptions.FromEnvironment, Throws.TypeOf<RuntimeInitializationException>().With.Message.Contain("TORCHBINDING_THREADS='many'"));
            // A huge count would make libtorch's spinning threads look like a hang: at most 4 per processor.
            Environment.SetEnvironmentVariable("TORCHBINDING_THREADS", "100000");
            Assert.That(RuntimeOptions.FromEnvironment, Throws.TypeOf<RuntimeInitializationException>()
                .With.Message.Contain("TORCHBINDING_THREADS='100000'").And.Message.Contain($"from 1 to {4 * Environment.ProcessorCount}"));
        }
        finally
        {
            foreach (var (name, value) in saved)
                Environment.SetEnvironmentVariable(name, value);
        }
    }
}
