using System.IO.Compression;
using System.Text;
using TorchBinding.IO;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests;

/// <summary>
/// Weights crossing to and from PyTorch. The fixtures come from scripts/pytorch/make_weight_fixtures.py: the course
/// CNN of cnn_mnist_pytorch.ipynb trained by PyTorch 1.13 (one epoch on 3000 MNIST images), saved with torch.save and
/// as safetensors, plus 10 MNIST test images and PyTorch's logits for them.
/// </summary>
public class PyTorchWeightsTests
{
    static Dictionary<string, Tensor> FixtureIo() => SafeTensors.Read(PythonTorch.Fixture("course_cnn_io.safetensors"));

    static void Dispose(Dictionary<string, Tensor> tensors)
    {
        foreach (var tensor in tensors.Values)
            tensor.Dispose();
    }

    [TestCase("course_cnn.safetensors")]
    [TestCase("course_cnn.pt")]
    public void The_course_cnn_trained_by_PyTorch_loads_and_gives_PyTorchs_logits(string file)
    {
        var io = FixtureIo();
        try
        {
            var model = new Cnn();
            var result = model.LoadPyTorchWeights(PythonTorch.Fixture(file));
            Assert.That(result.Loaded, Has.Count.EqualTo(6), "conv1, conv2, fc1: weight and bias each");
            model.eval();
            using var noGrad = no_grad();
            using var logits = model.call(io["inputs"]);
            // float32 kernels of libtorch 2.10 and 1.13 may sum in different orders: 1e-5 absolute on logits of size ~10
            // is a few ulps, far below any difference a wrong key, layout or transposition would make.
            TensorAssert.AreClose(logits, io["logits"], rtol: 0, atol: 1e-5, what: file);
            Assert.That(logits.argmax(1).data<long>().ToArray(), Is.EqualTo(io["logits"].argmax(1).data<long>().ToArray()));
        }
        finally
        {
            Dispose(io);
        }
    }

    [Test]
    public void The_course_models_state_dict_keys_are_the_notebooks()
    {
        var cnn = new Cnn();
        var names = PyTorchNames.For(cnn);
        Assert.That(cnn.state_dict().Keys.Select(names.ToExternal), Is.EquivalentTo(new[]
        {
            "layer1.0.weight", "layer1.0.bias", "layer2.0.weight", "layer2.0.bias", "fc.weight", "fc.bias",
        }));
        var keys = SafeTensors.ReadHeader(PythonTorch.Fixture("course_cnn.safetensors")).Select(e => e.Name);
        Assert.That(keys.Select(names.FromExternal), Is.EquivalentTo(cnn.state_dict().Keys), "the notebook's keys map back to ours");

        var resnet = ResNet.Course();
        var resnetNames = PyTorchNames.For(resnet);
        var external = resnet.state_dict().Keys.Select(resnetNames.ToExternal).ToList();
        Assert.That(external, Does.Contain("conv.weight").And.Contain("bn.running_mean").And.Contain("layer2.0.downsample.0.weight").And.Contain("fc.bias"));
        Assert.That(external, Does.Not.Contain("conv1.weight"), "the stem is 'conv' in resnet_mnist.ipynb");
        Assert.That(external, Does.Contain("layer1.0.conv1.weight"), "block layers keep their names (a prefix rule must not touch layer1.0.conv1)");
        Assert.That(PyTorchNames.For(ResNet.ResNet18()).Renames, Is.Empty, "ResNet-18 already has torchvision's names");
    }

    [TestCase("cnn", ".safetensors")]
    [TestCase("cnn", ".pt")]
    [TestCase("resnet", ".safetensors")]
    public void Weights_saved_here_load_in_PyTorch_with_the_same_logits(string kind, string extension)
    {
        PythonTorch.Require();
        using var folder = new TempFolder();
        manual_seed(3);
        nn.Module<Tensor, Tensor> model = kind == "cnn" ? new Cnn() : ResNet.Course();
        if (model is ResNet)
        {
            // Batch-norm statistics that are not 0 and 1, so running_mean/var must cross too.
            model.train();
            using (no_grad())
                model.call(rand(16, 1, 28, 28)).Dispose();
        }
        model.eval();
        var io = FixtureIo();
        try
        {
            var weights = Path.Combine(folder.Path, "weights" + extension);
            model.SavePyTorchWeights(weights);
            Tensor expected;
            using (no_grad())
                expected = model.call(io["inputs"]);
            using var _ = expected;
            var logitsFile = Path.Combine(folder.Path, "logits.safetensors");
            PythonTorch.RunScript("model_logits.py", kind, weights, PythonTorch.Fixture("course_cnn_io.safetensors"), logitsFile);
            var fromPyTorch = SafeTensors.Read(logitsFile);
            try
            {
                TensorAssert.AreClose(fromPyTorch["logits"], expected, rtol: 0, atol: 1e-5, what: $"{kind}{extension} in PyTorch");
            }
            finally
            {
                Dispose(fromPyTorch);
            }
        }
        finally
        {
            Dispose(io);
        }
    }

    [Test]
    public void A_file_for_another_architecture_is_refused_naming_the_differences()
    {
        var small = Cnn.Small();
        var error = Assert.Throws<InvalidDataException>(() => small.LoadPyTorchWeights(PythonTorch.Fixture("course_cnn.safetensors")));
        Assert.That(error!.Message, Does.Contain("layer1.0.weight").And.Contain("[16, 1, 5, 5] in the file").And.Contain("cnn_mnist_pytorch.ipynb's ConvNet"));
        var mlp = new Mlp(784, 500, 10);
        var before = mlp.state_dict()["fc1.weight"].clone();
        error = Assert.Throws<InvalidDataException>(() => mlp.LoadPyTorchWeights(PythonTorch.Fixture("course_cnn.pt")));
        Assert.That(error!.Message, Does.Contain("the file has no 'fc1.weight'").And.Contain("the model has no 'fc.bias', 'fc.weight', 'layer1.0.bias', 'layer1.0.weight'"));
        Assert.That(mlp.state_dict()["fc1.weight"].allclose(before, 0, 0), Is.True, "nothing was changed by a refused load");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Loading_a_pickle_never_runs_its_code(bool withArgument)
    {
        using var folder = new TempFolder();
        var marker = Path.Combine(folder.Path, "code-ran");
        // A state dict whose one value is posix.system("touch MARKER") (or posix.system()), as pickle's REDUCE
        // would call it in Python.
        var pickle = new MemoryStream();
        pickle.Write([0x80, 0x02, (byte)'}']);                      // PROTO 2, EMPTY_DICT
        BinUnicode(pickle, "weight");                                 // key
        pickle.Write(Encoding.ASCII.GetBytes("cposix\nsystem\n"));    // GLOBAL posix.system
        if (withArgument)
        {
            BinUnicode(pickle, $"touch {marker}");
            pickle.WriteByte(0x85);                                   // TUPLE1
        }
        else
        {
            pickle.WriteByte((byte)')');                              // EMPTY_TUPLE
        }
        pickle.Write([(byte)'R', (byte)'s', (byte)'.']);             // REDUCE, SETITEM, STOP
        var path = Path.Combine(folder.Path, "evil.pt");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using (var entry = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open())
                entry.Write(pickle.ToArray());
            using (var version = zip.CreateEntry("archive/version", CompressionLevel.NoCompression).Open())
                version.Write("3\n"u8);
        }
        var error = Assert.Throws<InvalidDataException>(() => ModelWeights.Read(path));
        // Razorvine.Pickle refuses to construct a class it does not know from arguments (the REDUCE fails without a
        // call); without arguments it makes an inert record of the class name, which is not a tensor.
        Assert.That(error!.Message, withArgument
            ? Does.Contain("could not be read as a PyTorch state dict").And.Contain("posix.system")
            : Does.Contain("not a state dict of tensors").And.Contain("'weight' is an object of Python class posix.system (not constructed)"));
        Assert.That(File.Exists(marker), Is.False, "posix.system was not called");
    }

    [Test]
    public void A_legacy_bare_pickle_is_refused_with_what_to_do()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "old.pt");
        File.WriteAllBytes(path, [0x80, 0x02, (byte)'}', (byte)'.']);
        var error = Assert.Throws<InvalidDataException>(() => ModelWeights.Read(path));
        Assert.That(error!.Message, Does.Contain("legacy format").And.Contain("torch.save"));
    }

    static void BinUnicode(Stream stream, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        stream.WriteByte((byte)'X');
        stream.Write(BitConverter.GetBytes(bytes.Length));
        stream.Write(bytes);
    }

    sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("torchbinding-weights-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
