using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using TorchBinding.IO;
using static TorchSharp.torch;

namespace TorchBinding.Tests.IO;

/// <summary>
/// <c>.pt</c> files built here byte by byte as <c>torch.save</c> lays them out (a zip of <c>NAME/data.pkl</c>, a
/// protocol-2 pickle, <c>NAME/byteorder</c> and one <c>NAME/data/KEY</c> per storage): the byte order is honoured, and
/// what is not a state dict is refused saying what the file is and what is read.
/// </summary>
public class PyTorchFileTests
{
    TemporaryFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = TestSupport.TemporaryFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    const string Supported = "torch.save(model.state_dict(), path)";

    /// <summary>A pickle written opcode by opcode (protocol 2, as torch.save writes it).</summary>
    sealed class Pickle
    {
        readonly MemoryStream _bytes = new();

        public Pickle() => _bytes.Write([0x80, 0x02]); // PROTO 2

        public Pickle Op(char opcode)
        {
            _bytes.WriteByte((byte)opcode);
            return this;
        }

        public Pickle Op(byte opcode)
        {
            _bytes.WriteByte(opcode);
            return this;
        }

        public Pickle Global(string module, string name)
        {
            _bytes.Write(Encoding.ASCII.GetBytes($"c{module}\n{name}\n"));
            return this;
        }

        public Pickle Text(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            _bytes.WriteByte((byte)'X');
            _bytes.Write(BitConverter.GetBytes(bytes.Length));
            _bytes.Write(bytes);
            return this;
        }

        /// <summary>BINPUT: memoises the value just pushed under <paramref name="index"/>.</summary>
        public Pickle Put(byte index) => Op('q').Op(index);

        /// <summary>BINGET: pushes the value memoised under <paramref name="index"/>.</summary>
        public Pickle Get(byte index) => Op('h').Op(index);

        public Pickle Int(int value)
        {
            _bytes.WriteByte((byte)'J');
            _bytes.Write(BitConverter.GetBytes(value));
            return this;
        }

        public Pickle Float(double value)
        {
            _bytes.WriteByte((byte)'G');
            var bytes = new byte[8];
            BinaryPrimitives.WriteDoubleBigEndian(bytes, value);
            _bytes.Write(bytes);
            return this;
        }

        /// <summary><c>OrderedDict()</c>.</summary>
        public Pickle EmptyOrderedDict() => Global("collections", "OrderedDict").Op(')').Op('R');

        /// <summary>
        /// A tensor <c>[count]</c> as torch.save pickles it: <c>_rebuild_tensor_v2(persistent ('storage', torch.XStorage,
        /// key, 'cpu', count), 0, (count,), (1,), False, OrderedDict())</c>.
        /// </summary>
        public Pickle Tensor(string storage, string key, int count, string rebuild = "_rebuild_tensor_v2") =>
            Global("torch._utils", rebuild).Op('(')
                .Op('(').Text("storage").Global("torch", storage).Text(key).Text("cpu").Int(count).Op('t').Op('Q')
                .Int(0).Int(count).Op(0x85).Int(1).Op(0x85).Op(0x89).EmptyOrderedDict()
                .Op('t').Op('R');

        public byte[] Stop()
        {
            _bytes.WriteByte((byte)'.');
            return _bytes.ToArray();
        }
    }

    /// <summary>A zip archive of <paramref name="records"/> under the folder <c>archive/</c>, as torch.save writes it (stored, not compressed).</summary>
    string Archive(string name, IEnumerable<(string Record, byte[] Bytes)> records, string folder = "archive")
    {
        var path = Path.Combine(_folder.Path, name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (record, bytes) in records)
        {
            using var entry = zip.CreateEntry($"{folder}/{record}", CompressionLevel.NoCompression).Open();
            entry.Write(bytes);
        }
        return path;
    }

    static (string, byte[]) Record(string name, string text) => (name, Encoding.ASCII.GetBytes(text));

    /// <summary>{'w': float32 tensor [2], 'd': float64 [1], 'n': int64 [2], 'b': bool [1]} with its storages in <paramref name="byteOrder"/>.</summary>
    string StateDict(string name, string byteOrder)
    {
        var big = byteOrder == "big";
        byte[] Floats(params float[] values) => values.SelectMany(v => { var b = new byte[4]; if (big) BinaryPrimitives.WriteSingleBigEndian(b, v); else BinaryPrimitives.WriteSingleLittleEndian(b, v); return b; }).ToArray();
        byte[] Doubles(params double[] values) => values.SelectMany(v => { var b = new byte[8]; if (big) BinaryPrimitives.WriteDoubleBigEndian(b, v); else BinaryPrimitives.WriteDoubleLittleEndian(b, v); return b; }).ToArray();
        byte[] Longs(params long[] values) => values.SelectMany(v => { var b = new byte[8]; if (big) BinaryPrimitives.WriteInt64BigEndian(b, v); else BinaryPrimitives.WriteInt64LittleEndian(b, v); return b; }).ToArray();
        var pickle = new Pickle().EmptyOrderedDict().Op('(')
            .Text("w").Tensor("FloatStorage", "0", 2)
            .Text("d").Tensor("DoubleStorage", "1", 1)
            .Text("n").Tensor("LongStorage", "2", 2)
            .Text("b").Tensor("BoolStorage", "3", 1)
            .Op('u').Stop();
        return Archive(name,
        [
            ("data.pkl", pickle), Record("byteorder", byteOrder), ("data/0", Floats(0.5f, -2f)), ("data/1", Doubles(Math.PI)),
            ("data/2", Longs(3, -1L << 40)), ("data/3", [1]), Record("version", "3\n"),
        ]);
    }

    [TestCase("little")]
    [TestCase("big")]
    public void A_state_dict_is_read_in_the_byte_order_it_records(string byteOrder)
    {
        var tensors = PyTorchStateDict.Read(StateDict($"{byteOrder}.pt", byteOrder));
        try
        {
            // Read as little-endian, the big-endian float 0.5 would be 8.8e-44.
            Assert.That(tensors["w"].data<float>().ToArray(), Is.EqualTo(new[] { 0.5f, -2f }));
            Assert.That(tensors["d"].data<double>().ToArray(), Is.EqualTo(new[] { Math.PI }));
            Assert.That(tensors["n"].data<long>().ToArray(), Is.EqualTo(new[] { 3, -1L << 40 }));
            Assert.That(tensors["b"].data<bool>().ToArray(), Is.EqualTo(new[] { true }));
        }
        finally
        {
            foreach (var tensor in tensors.Values)
                tensor.Dispose();
        }
    }

    [Test]
    public void An_unknown_byte_order_is_refused_naming_it()
    {
        var path = Archive("middle.pt", [("data.pkl", new Pickle().Op('}').Stop()), Record("byteorder", "middle")]);
        var error = Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Read(path));
        Assert.That(error!.Message, Does.Contain("byte order 'middle'").And.Contain(path));
    }

    [Test]
    public void A_TorchScript_archive_is_refused_saying_so()
    {
        // torch.jit.save writes the module as an object of its compiled class, with code/ and constants.pkl beside it.
        var module = new Pickle().Global("__torch__", "Net").Op(')').Op(0x81).Op('}').Op('b').Stop();
        var path = Archive("scripted.pt",
        [
            ("data.pkl", module), ("constants.pkl", new Pickle().Op(')').Stop()), Record("code/__torch__.py", "class Net(Module):\n  pass\n"),
            Record("version", "3\n"),
        ], folder: "scripted");
        var error = Assert.Throws<InvalidDataException>(() => ModelWeights.Read(path));
        Assert.That(error!.Message, Does.Contain("TorchScript archive").And.Contain(Supported).And.Contain(path));
    }

    [Test]
    public void A_whole_pickled_module_is_refused_naming_its_class()
    {
        // torch.save(model): an object of class __main__.Net whose attributes hold parameters.
        var pickle = new Pickle().Global("__main__", "Net").Op(')').Op(0x81).Op('}').Op('(')
            .Text("training").Op(0x88)
            .Text("_parameters").EmptyOrderedDict().Op('(').Text("weight")
                .Global("torch._utils", "_rebuild_parameter").Op('(').Tensor("FloatStorage", "0", 2).Op(0x88).EmptyOrderedDict().Op('t').Op('R')
                .Op('u')
            .Text("_modules").EmptyOrderedDict()
            .Op('u').Op('b').Stop();
        var path = Archive("model.pt", [("data.pkl", pickle), Record("byteorder", "little"), ("data/0", new byte[8]), Record("version", "3\n")]);
        var error = Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Read(path));
        Assert.That(error!.Message, Does.Contain("a whole module (torch.save(model)) of class __main__.Net").And.Contain(Supported).And.Contain(path));
    }

    [Test]
    public void An_optimizer_state_is_refused_saying_so()
    {
        // torch.save(optimizer.state_dict()): {'state': {0: {'step': tensor, 'exp_avg': tensor}}, 'param_groups': [{'lr': 0.001, 'params': [0]}]}.
        var pickle = new Pickle().Op('}').Op('(')
            .Text("state").Op('}').Int(0).Op('}').Op('(').Text("step").Tensor("FloatStorage", "0", 1).Text("exp_avg").Tensor("FloatStorage", "1", 2).Op('u').Op('s')
            .Text("param_groups").Op(']').Op('}').Op('(').Text("lr").Float(0.001).Text("params").Op(']').Int(0).Op('a').Op('u').Op('a')
            .Op('u').Stop();
        var path = Archive("adam.pt", [("data.pkl", pickle), Record("byteorder", "little"), ("data/0", new byte[4]), ("data/1", new byte[8]), Record("version", "3\n")]);
        var error = Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Read(path));
        Assert.That(error!.Message, Does.Contain("holds an optimizer's state (optimizer.state_dict(): 'state' and 'param_groups')").And.Contain(Supported).And.Contain(path));
    }

    [Test]
    public void A_pickled_optimizer_object_a_list_and_a_single_tensor_are_named()
    {
        var optimizer = Archive("opt.pt", [("data.pkl", new Pickle().Global("torch.optim.adam", "Adam").Op(')').Op(0x81).Op('}').Op('b').Stop())]);
        var list = Archive("list.pt", [("data.pkl", new Pickle().Op(']').Op('(').Tensor("FloatStorage", "0", 1).Op('e').Stop()), ("data/0", new byte[4])]);
        var single = Archive("tensor.pt", [("data.pkl", new Pickle().Tensor("FloatStorage", "0", 1).Stop()), ("data/0", new byte[4])]);
        Assert.Multiple(() =>
        {
            Assert.That(() => PyTorchStateDict.Read(optimizer), Throws.TypeOf<InvalidDataException>().With.Message.Contain("a whole optimizer (torch.save(optimizer)) of class torch.optim.adam.Adam").And.Message.Contain(Supported));
            Assert.That(() => PyTorchStateDict.Read(list), Throws.TypeOf<InvalidDataException>().With.Message.Contain("a list").And.Message.Contain(Supported));
            Assert.That(() => PyTorchStateDict.Read(single), Throws.TypeOf<InvalidDataException>().With.Message.Contain("a single tensor (torch.save(tensor))").And.Message.Contain(Supported));
        });
    }

    [Test]
    public void A_zip_that_torch_save_did_not_write_is_refused_saying_what_is_missing()
    {
        var noPickle = Archive("other.pt", [Record("readme.txt", "hello")]);
        // As torch.save writes a second tensor: 'storage', torch.FloatStorage and 'cpu' fetched from the memo.
        var twoTensors = new Pickle().Op('}').Op('(')
            .Text("a").Global("torch._utils", "_rebuild_tensor_v2").Put(1).Op('(')
                .Op('(').Text("storage").Put(2).Global("torch", "FloatStorage").Put(3).Text("0").Text("cpu").Put(4).Int(1).Op('t').Op('Q')
                .Int(0).Int(1).Op(0x85).Int(1).Op(0x85).Op(0x89).EmptyOrderedDict().Op('t').Op('R')
            .Text("b").Get(1).Op('(')
                .Op('(').Get(2).Get(3).Text("1").Get(4).Int(1).Op('t').Op('Q')
                .Int(0).Int(1).Op(0x85).Int(1).Op(0x85).Op(0x89).EmptyOrderedDict().Op('t').Op('R')
            .Op('u').Stop();
        var noStorage = Archive("truncated.pt", [("data.pkl", twoTensors), Record("byteorder", "little"), ("data/0", new byte[4])]);
        var quantized = Archive("quantized.pt", [("data.pkl", new Pickle().Op('}').Text("w").Tensor("QInt8Storage", "0", 2).Op('s').Stop()), ("data/0", new byte[2])]);
        Assert.Multiple(() =>
        {
            Assert.That(() => PyTorchStateDict.Read(noPickle), Throws.TypeOf<InvalidDataException>().With.Message.Contain("no data.pkl").And.Message.Contain(Supported).And.Message.Contain(noPickle));
            Assert.That(() => PyTorchStateDict.Read(noStorage), Throws.TypeOf<InvalidDataException>().With.Message.Contain("archive/data/1").And.Message.Contain("missing").And.Message.Contain(noStorage));
            Assert.That(() => PyTorchStateDict.Read(quantized), Throws.TypeOf<InvalidDataException>().With.Message.Contain("torch.QInt8Storage").And.Message.Contain(quantized));
        });
    }
}
