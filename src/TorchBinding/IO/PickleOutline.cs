using System.Text;

namespace TorchBinding.IO;

/// <summary>What kind of value a pickle's top level is, as far as its first opcodes tell.</summary>
enum PickleTopLevel
{
    /// <summary>Not told by the first opcodes (e.g. an old protocol's MARK ... DICT).</summary>
    Unknown,

    /// <summary>A dict or an <c>OrderedDict</c>.</summary>
    Dictionary,

    /// <summary>A list or a tuple.</summary>
    Sequence,

    /// <summary>A tensor (<c>torch._utils._rebuild_tensor_v2</c> or <c>_rebuild_parameter</c>).</summary>
    Tensor,

    /// <summary>An object built from a Python class (<see cref="PickleOutline.TopLevelClass"/>).</summary>
    Object,
}

/// <summary>
/// An outline of a pickle read from its opcodes alone, nothing built or called: the kind of its top-level value, the
/// Python globals it names, and the storages <c>torch.save</c> refers to (type and record key). It lets a file be
/// described ("a whole module of class __main__.Net") before an unpickler fails on it with an unrelated message.
/// </summary>
sealed class PickleOutline
{
    const int MaxText = 1 << 16; // longer strings are skipped: names, keys and classes are short

    readonly List<string> _globals = [];
    readonly List<(string Type, string Key)> _storages = [];

    PickleOutline()
    {
    }

    /// <summary>The top-level value's kind.</summary>
    public PickleTopLevel TopLevel { get; private set; }

    /// <summary>The class of the top-level value (<c>module.name</c>) when it is built from one.</summary>
    public string? TopLevelClass { get; private set; }

    /// <summary>Every global the pickle names (<c>module.name</c>), each once, in order.</summary>
    public IReadOnlyList<string> Globals => _globals;

    /// <summary>torch.save's storage references: the storage type (e.g. <c>FloatStorage</c>) and the record key (e.g. <c>0</c>).</summary>
    public IReadOnlyList<(string Type, string Key)> Storages => _storages;

    /// <summary>Whether the opcodes were read to STOP (false: an opcode unknown here, or the pickle ends early).</summary>
    public bool Complete { get; private set; }

    /// <summary>Reads the outline of the pickle in <paramref name="stream"/> (to its STOP opcode or its end).</summary>
    public static PickleOutline Read(Stream stream)
    {
        var outline = new PickleOutline();
        outline.Scan(stream);
        return outline;
    }

    void Scan(Stream stream)
    {
        // The last two values pushed, when they were strings (STACK_GLOBAL takes its module and name from them), and
        // the memo of strings and globals (torch.save memoises 'storage', 'cpu' and torch.FloatStorage, and fetches
        // them again with BINGET for every later tensor).
        string? last = null, beforeLast = null, lastGlobal = null;
        var memo = new Dictionary<long, (string? Text, string? Global)>();
        string? pendingStorage = null; // after GLOBAL torch.XStorage, the next string pushed is the storage's key
        var values = 0;                 // values pushed so far, while the top level is undecided
        var decided = false;
        void Decide(PickleTopLevel kind, string? type)
        {
            if (!decided)
                (TopLevel, TopLevelClass, decided) = (kind, kind == PickleTopLevel.Object ? type : null, true);
        }

        int op;
        while ((op = stream.ReadByte()) >= 0)
        {
            string? text = null;     // the string this opcode pushes, if it pushes one
            string? global = null;   // the global this opcode names, if any
            string? fetched = null;  // the global this opcode fetches from the memo, if any
            switch (op)
            {
                case '.': // STOP
                    Complete = true;
                    return;
                case 0x80: // PROTO
                    Skip(stream, 1);
                    continue;
                case 0x95: // FRAME
                    Skip(stream, 8);
                    continue;
                case 'q': // BINPUT
                    memo[Read(stream, 1)[0]] = (last, lastGlobal);
                    continue;
                case 'r': // LONG_BINPUT
                    memo[BitConverter.ToUInt32(Read(stream, 4))] = (last, lastGlobal);
                    continue;
                case 'p': // PUT
                    memo[long.TryParse(Line(stream), out var put) ? put : -1] = (last, lastGlobal);
                    continue;
                case 0x94: // MEMOIZE
                    memo[memo.Count] = (last, lastGlobal);
                    continue;
                case 'h': // BINGET
                    (text, fetched) = memo.GetValueOrDefault(Read(stream, 1)[0]);
                    break;
                case 'j': // LONG_BINGET
                    (text, fetched) = memo.GetValueOrDefault(BitConverter.ToUInt32(Read(stream, 4)));
                    break;
                case 'g': // GET
                    (text, fetched) = memo.GetValueOrDefault(long.TryParse(Line(stream), out var get) ? get : -1);
                    break;
                case 'X': // BINUNICODE
                    text = Text(stream, BitConverter.ToUInt32(Read(stream, 4)), Encoding.UTF8);
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    text = Text(stream, Read(stream, 1)[0], Encoding.UTF8);
                    break;
                case 0x8d: // BINUNICODE8
                    text = Text(stream, BitConverter.ToUInt64(Read(stream, 8)), Encoding.UTF8);
                    break;
                case 'T': // BINSTRING
                    text = Text(stream, BitConverter.ToUInt32(Read(stream, 4)), Encoding.Latin1);
                    break;
                case 'U': // SHORT_BINSTRING
                    text = Text(stream, Read(stream, 1)[0], Encoding.Latin1);
                    break;
                case 'V': // UNICODE (text protocol)
                    text = Line(stream);
                    break;
                case 'S': // STRING (text protocol, quoted)
                    text = Line(stream).Trim('\'', '"');
                    break;
                case 'c': // GLOBAL module\nname\n
                case 'i': // INST module\nname\n (after a MARK and its arguments)
                {
                    var module = Line(stream);
                    global = $"{module}.{Line(stream)}";
                    break;
                }
                case 0x93: // STACK_GLOBAL: module and name were the last two values pushed
                    global = $"{beforeLast ?? "?"}.{last ?? "?"}";
                    if (!decided && values == 2 && beforeLast is not null && last is not null)
                        values = 0; // the two strings were its arguments: the global is the first value
                    break;
                default:
                    if (!SkipArgument(stream, op))
                        return; // an opcode this outline does not know: the unpickler will say more
                    break;
            }

            if ((global ?? fetched) is { } named && named.StartsWith("torch.", StringComparison.Ordinal)
                && named.LastIndexOf('.') == "torch".Length && named.EndsWith("Storage", StringComparison.Ordinal))
                pendingStorage = named["torch.".Length..];
            if (global is not null)
            {
                if (!_globals.Contains(global))
                    _globals.Add(global);
                Decide(values > 0 || op == 'i' ? PickleTopLevel.Unknown : global switch
                {
                    "collections.OrderedDict" or "builtins.dict" => PickleTopLevel.Dictionary,
                    "torch._utils._rebuild_tensor_v2" or "torch._utils._rebuild_tensor" or "torch._utils._rebuild_parameter" => PickleTopLevel.Tensor,
                    _ => PickleTopLevel.Object,
                }, global);
            }
            else if (text is not null)
            {
                if (pendingStorage is not null)
                {
                    _storages.Add((pendingStorage, text));
                    pendingStorage = null;
                }
                if (values >= 2)
                    Decide(PickleTopLevel.Unknown, null); // a third string: not the arguments of a STACK_GLOBAL
            }
            else
            {
                Decide(values > 0 ? PickleTopLevel.Unknown : op switch
                {
                    '}' => PickleTopLevel.Dictionary,
                    ']' or ')' => PickleTopLevel.Sequence,
                    _ => PickleTopLevel.Unknown,
                }, null);
            }
            values++;
            (beforeLast, last, lastGlobal) = (last, text, global ?? fetched);
        }
    }

    /// <summary>Skips the argument of an opcode that carries no name; false for an opcode unknown here.</summary>
    static bool SkipArgument(Stream stream, int op)
    {
        switch (op)
        {
            case '(' or ')' or '0' or '1' or '2' or 'N' or 'R' or 'a' or 'b' or 'd' or 'e' or 'l' or ']' or 'o' or 's' or 't' or 'u' or '}' or 'Q'
                or 0x81 or 0x85 or 0x86 or 0x87 or 0x88 or 0x89 or 0x8f or 0x90 or 0x91 or 0x92 or 0x97 or 0x98:
                return true;
            case 'K' or 0x82:
                Skip(stream, 1);
                return true;
            case 'M' or 0x83:
                Skip(stream, 2);
                return true;
            case 'J' or 0x84:
                Skip(stream, 4);
                return true;
            case 'G':
                Skip(stream, 8);
                return true;
            case 'C' or 0x8a: // SHORT_BINBYTES, LONG1
                Skip(stream, Read(stream, 1)[0]);
                return true;
            case 'B' or 0x8b: // BINBYTES, LONG4
                Skip(stream, BitConverter.ToUInt32(Read(stream, 4)));
                return true;
            case 0x8e or 0x96: // BINBYTES8, BYTEARRAY8
                Skip(stream, BitConverter.ToUInt64(Read(stream, 8)));
                return true;
            case 'I' or 'L' or 'F' or 'P':
                Line(stream);
                return true;
            default:
                return false;
        }
    }

    static byte[] Read(Stream stream, int count)
    {
        var bytes = new byte[count];
        stream.ReadExactly(bytes);
        return bytes;
    }

    static void Skip(Stream stream, ulong count)
    {
        Span<byte> buffer = stackalloc byte[4096];
        while (count > 0)
        {
            var read = stream.Read(buffer[..(int)Math.Min((ulong)buffer.Length, count)]);
            if (read == 0)
                throw new EndOfStreamException();
            count -= (ulong)read;
        }
    }

    static string? Text(Stream stream, ulong length, Encoding encoding)
    {
        if (length > MaxText)
        {
            Skip(stream, length);
            return null;
        }
        return encoding.GetString(Read(stream, (int)length));
    }

    static string Line(Stream stream)
    {
        var bytes = new List<byte>();
        int b;
        while ((b = stream.ReadByte()) is >= 0 and not '\n')
        {
            if (bytes.Count < MaxText)
                bytes.Add((byte)b);
        }
        if (b < 0)
            throw new EndOfStreamException();
        return Encoding.UTF8.GetString([.. bytes]);
    }
}
