using System.Buffers.Binary;
using System.Text;
using TorchBinding.IO;
using static TorchSharp.torch;

namespace TorchBinding.Tests.IO;

public class SafeTensorsTests
{
    TemporaryFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = TestSupport.TemporaryFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    string PathOf(string name) => Path.Combine(_folder.Path, name);

    /// <summary>A file of the given header text and data bytes, as the format lays them out.</summary>
    string FileOf(string header, int dataBytes, ulong? claimedLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimedLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        var path = PathOf($"f{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Test]
    public void Every_dtype_round_trips_with_its_values_and_shape()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f64"] = tensor(new[] { 1.5, -2.25, Math.PI }),
            ["f32"] = arange(12, dtype: float32).reshape(3, 4) / 7,
            ["f16"] = tensor(new[] { 0.5f, -1f, 65504f }).to(float16),
            ["bf16"] = tensor(new[] { 0.5f, -3f, 1e30f }).to(bfloat16),
            ["i64"] = tensor(new[] { long.MinValue, 0L, long.MaxValue }),
            ["i32"] = tensor(new[] { int.MinValue, 7, int.MaxValue }),
            ["i16"] = tensor(new short[] { -32768, 5, 32767 }),
            ["i8"] = tensor(new sbyte[] { -128, 0, 127 }),
            ["u8"] = tensor(new byte[] { 0, 128, 255 }),
            ["bool"] = tensor(new[] { true, false, true }),
            ["scalar"] = tensor(2.5f),
            ["empty"] = zeros(0, 3),
        };
        var path = PathOf("all.safetensors");
        SafeTensors.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var read = SafeTensors.Read(path, out var metadata);
        Assert.That(metadata["format"], Is.EqualTo("pt"));
        Assert.That(read.Keys, Is.EquivalentTo(tensors.Keys));
        foreach (var (name, original) in tensors)
        {
            Assert.That(read[name].dtype, Is.EqualTo(original.dtype), name);
            Assert.That(read[name].shape, Is.EqualTo(original.shape), name);
            Assert.That(read[name].bytes.ToArray(), Is.EqualTo(original.contiguous().bytes.ToArray()), $"{name}: the same bytes");
            read[name].Dispose();
        }
        // The layout: 8-byte length, then a header starting with '{' and padded so the data is 8-byte aligned.
        var bytes = File.ReadAllBytes(path);
        var length = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.That(length % 8, Is.Zero);
        Assert.That((char)bytes[8], Is.EqualTo('{'));
        var header = SafeTensors.ReadHeader(path);
        var f32 = header.Single(e => e.Name == "f32");
        Assert.That((f32.DType, f32.Shape, f32.End - f32.Begin), Is.EqualTo(("F32", (IReadOnlyList<long>)new long[] { 3, 4 }, 48L)).Using<(string, IReadOnlyList<long>, long)>((a, b) =>
            a.Item1 == b.Item1 && a.Item2.SequenceEqual(b.Item2) && a.Item3 == b.Item3));
        Assert.That(bytes.Length - 8 - (long)length, Is.EqualTo(header.Sum(e => e.End - e.Begin)), "the data section is exactly the tensors");
    }

    [Test]
    public void A_file_written_by_hand_with_known_bytes_reads_as_those_values()
    {
        // Two F32 values 1.0 and -2.0 (little-endian IEEE 754), then one I64 value 3.
        var data = new byte[] { 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0, 3, 0, 0, 0, 0, 0, 0, 0 };
        var header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}";
        var path = FileOf(header, 0);
        File.AppendAllText(path, "");
        using (var stream = new FileStream(path, FileMode.Append))
            stream.Write(data);
        var read = SafeTensors.Read(path);
        Assert.That(read["a"].data<float>().ToArray(), Is.EqualTo(new[] { 1f, -2f }));
        Assert.That(read["b"].item<long>(), Is.EqualTo(3));
        Assert.That(read["b"].shape, Is.Empty);
    }

    static IEnumerable<TestCaseData> Malformed()
    {
        const string f32x2 = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        yield return new TestCaseData(f32x2, 8, (ulong?)1000, "header length is 1000 bytes, beyond the file").SetName("Header_length_beyond_the_file");
        yield return new TestCaseData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"v\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, null,
            "overlap").SetName("Overlapping_offsets");
        yield return new TestCaseData("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, null,
            "data_offsets [0, 16] reach beyond the data section's 8 bytes").SetName("Offsets_out_of_range");
        yield return new TestCaseData("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}", 8, null,
            "unknown dtype 'F8_E4M3'").SetName("Unknown_dtype");
        yield return new TestCaseData("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, null,
            "shape [3] of F32 needs 12 bytes, but data_offsets [0, 8] hold 8").SetName("Shape_disagrees_with_the_data");
        yield return new TestCaseData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, null,
            "belong to no tensor").SetName("Gap_in_the_data");
        yield return new TestCaseData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, null,
            "not a byte range").SetName("Reversed_offsets");
        yield return new TestCaseData("{\"w\": [1, 2", 0, null, "not valid JSON").SetName("Header_not_JSON");
        yield return new TestCaseData("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0, null,
            "whole numbers ≥ 0").SetName("Negative_dimension");
    }

    [TestCaseSource(nameof(Malformed))]
    public void A_malformed_file_is_refused_saying_what_is_wrong(string header, int dataBytes, ulong? claimedLength, string expected)
    {
        var path = FileOf(header, dataBytes, claimedLength);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.That(error!.Message, Does.Contain(expected).And.Contain(path));
    }

    [Test]
    public void A_tensor_named_twice_in_the_header_is_refused_naming_it_and_the_file()
    {
        // Two entries "w" with disjoint byte ranges: a JSON reader that keeps the last would silently load the second.
        var path = FileOf("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.That(error!.Message, Does.Contain("names tensor 'w' twice").And.Contain(path));
        Assert.That(() => SafeTensors.ReadHeader(path), Throws.TypeOf<InvalidDataException>().With.Message.Contain("'w' twice"));
        var metadata = FileOf("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        Assert.That(() => SafeTensors.Read(metadata), Throws.TypeOf<InvalidDataException>().With.Message.Contain("__metadata__ names 'a' twice").And.Message.Contain(metadata));
    }

    [TestCase("[\"0\",\"8\"]", "data_offsets must be [begin, end], two whole numbers", TestName = "String_offsets")]
    [TestCase("[0.5,8]", "data_offsets must be [begin, end], two whole numbers", TestName = "Fractional_offsets")]
    [TestCase("[0,8,16]", "data_offsets must be [begin, end], two whole numbers", TestName = "Three_offsets")]
    public void Offsets_that_are_not_two_whole_numbers_are_refused_naming_the_tensor_and_the_file(string offsets, string expected)
    {
        var path = FileOf($"{{\"w\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{offsets}}}}}", 8);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.That(error!.Message, Does.Contain(expected).And.Contain("tensor 'w'").And.Contain(path));
    }

    [Test]
    public void A_header_that_is_not_UTF8_is_refused_naming_the_file_and_the_byte()
    {
        // 0xFF never occurs in UTF-8; here it is inside a tensor's name.
        var header = Encoding.UTF8.GetBytes("{\"w\u00e9\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        var at = Array.IndexOf(header, (byte)0xC3);
        header[at] = 0xFF;
        var bytes = new byte[8 + header.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        var path = PathOf("latin1.safetensors");
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.That(error!.Message, Does.Contain("not valid UTF-8").And.Contain($"byte {at} of the header").And.Contain(path));
    }

    [Test]
    public void A_file_shorter_than_the_length_field_is_refused()
    {
        var path = PathOf("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.That(() => SafeTensors.Read(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains("fewer than the 8 of the header length"));
    }

    [Test]
    public void Writing_a_dtype_safetensors_cannot_hold_names_it()
    {
        using var complexValues = complex(ones(2), zeros(2));
        Assert.That(() => SafeTensors.Write(PathOf("c.safetensors"), new Dictionary<string, Tensor> { ["z"] = complexValues }),
            Throws.ArgumentException.With.Message.Contains("tensor 'z' is ComplexFloat32"));
    }

    [Test]
    public void State_dict_names_rename_whole_module_paths_both_ways()
    {
        var names = new StateDictNames("notebook", [("conv1", "layer1.0"), ("fc1", "fc")]);
        Assert.That(names.ToExternal("conv1.weight"), Is.EqualTo("layer1.0.weight"));
        Assert.That(names.ToExternal("conv10.weight"), Is.EqualTo("conv10.weight"), "a rename matches whole segments only");
        Assert.That(names.ToExternal("fc1.bias"), Is.EqualTo("fc.bias"));
        Assert.That(names.FromExternal("layer1.0.bias"), Is.EqualTo("conv1.bias"));
        Assert.That(names.FromExternal("fc.weight"), Is.EqualTo("fc1.weight"));
        Assert.That(names.FromExternal("fcx.weight"), Is.EqualTo("fcx.weight"));
        Assert.That(StateDictNames.Identity.ToExternal("a.b"), Is.EqualTo("a.b"));
    }

    [Test]
    public void A_model_round_trips_through_both_formats_and_a_mismatch_is_named()
    {
        using var scope = NewDisposeScope();
        var model = nn.Sequential(("fc1", nn.Linear(4, 3)), ("act", nn.ReLU()), ("fc2", nn.Linear(3, 2)));
        var input = randn(5, 4);
        var expected = model.call(input);
        foreach (var file in new[] { "m.safetensors", "m.pt" })
        {
            ModelWeights.Save(model, PathOf(file));
            var copy = nn.Sequential(("fc1", nn.Linear(4, 3)), ("act", nn.ReLU()), ("fc2", nn.Linear(3, 2)));
            var result = ModelWeights.Load(copy, PathOf(file));
            Assert.That(result.Loaded, Has.Count.EqualTo(4));
            Assert.That(copy.call(input).allclose(expected, 0, 0), Is.True, $"{file}: the same outputs");
        }
        Assert.That(ModelWeights.Detect(PathOf("m.pt")), Is.EqualTo(WeightsFormat.PyTorch));
        Assert.That(ModelWeights.Detect(PathOf("m.safetensors")), Is.EqualTo(WeightsFormat.SafeTensors));

        var wider = nn.Sequential(("fc1", nn.Linear(4, 5)), ("act", nn.ReLU()), ("fc2", nn.Linear(5, 2)));
        Assert.That(() => ModelWeights.Load(wider, PathOf("m.safetensors")), Throws.TypeOf<InvalidDataException>()
            .With.Message.Contains("'fc1.weight' is [3, 4] in the file and [5, 4] in the model"));
        var partial = nn.Sequential(("fc1", nn.Linear(4, 3)));
        Assert.That(() => ModelWeights.Load(partial, PathOf("m.safetensors")), Throws.TypeOf<InvalidDataException>()
            .With.Message.Contains("the model has no 'fc2.bias', 'fc2.weight' of the file"));
        var loose = ModelWeights.Load(partial, PathOf("m.safetensors"), strict: false);
        Assert.That(loose.Unexpected, Is.EquivalentTo(new[] { "fc2.weight", "fc2.bias" }));
        Assert.That(loose.Loaded, Is.EquivalentTo(new[] { "fc1.weight", "fc1.bias" }));
    }
}
