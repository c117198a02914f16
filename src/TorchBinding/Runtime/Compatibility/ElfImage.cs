using System.Buffers.Binary;
using System.Text;

namespace TorchBinding.Runtime.Compatibility;

/// <summary>A symbol version a shared library needs from another (an entry of <c>.gnu.version_r</c>).</summary>
/// <param name="File">The library that must define the version, e.g. <c>libstdc++.so.6</c>.</param>
/// <param name="Version">The version name, e.g. <c>GLIBCXX_3.4.32</c>.</param>
/// <param name="Index">The version index that <c>.gnu.version</c> entries use to bind symbols to it.</param>
/// <param name="IsWeak">Whether <c>VER_FLG_WEAK</c> is set: the dynamic loader then only warns if it is missing.</param>
/// <param name="FlagsOffset">File offset of the entry's <c>vna_flags</c> field.</param>
/// <param name="Symbols">The undefined dynamic symbols bound to this version.</param>
public sealed record VersionNeed(string File, string Version, int Index, bool IsWeak, long FlagsOffset, IReadOnlyList<string> Symbols);

/// <summary>
/// The parts of a 64-bit little-endian ELF shared library that symbol versioning uses: the version
/// needs (<c>.gnu.version_r</c>) with the symbols bound to each, and the versions it defines
/// (<c>.gnu.version_d</c>). Just enough to decide and apply the GLIBCXX compatibility fix; every read
/// is bounds-checked, so a truncated or foreign file gives an <see cref="InvalidDataException"/>.
/// </summary>
public sealed class ElfImage
{
    const uint ShtDynsym = 11, ShtGnuVerdef = 0x6ffffffd, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
    const ushort VerFlgBase = 0x1;

    /// <summary><c>VER_FLG_WEAK</c>: a version need the dynamic loader tolerates when it is missing.</summary>
    public const ushort VerFlgWeak = 0x2;

    readonly byte[] _bytes;

    /// <summary>Where the image was read from (for messages).</summary>
    public string Source { get; }

    /// <summary>The versions this library needs from others.</summary>
    public IReadOnlyList<VersionNeed> VersionNeeds { get; }

    /// <summary>The versions this library defines (what it offers to others, e.g. libstdc++'s GLIBCXX_*).</summary>
    public IReadOnlySet<string> VersionDefinitions { get; }

    ElfImage(byte[] bytes, string source)
    {
        _bytes = bytes;
        Source = source;
        var sections = ReadSectionHeaders();
        VersionNeeds = ReadVersionNeeds(sections);
        VersionDefinitions = ReadVersionDefinitions(sections);
    }

    /// <summary>Reads an ELF image from a file.</summary>
    public static ElfImage Load(string path) => new(File.ReadAllBytes(path), path);

    /// <summary>Parses an ELF image held in memory; <paramref name="source"/> names it in messages.</summary>
    public static ElfImage Parse(byte[] bytes, string source) => new(bytes, source);

    /// <summary>A copy of the file's bytes.</summary>
    public byte[] ToArray() => (byte[])_bytes.Clone();

    /// <summary>The bytes of a copy in which the given version needs are marked weak; nothing else changes.</summary>
    public byte[] WithWeakVersionNeeds(IEnumerable<VersionNeed> needs)
    {
        var copy = ToArray();
        foreach (var need in needs)
        {
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(copy.AsSpan(checked((int)need.FlagsOffset), 2));
            BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan((int)need.FlagsOffset, 2), (ushort)(flags | VerFlgWeak));
        }
        return copy;
    }

    /// <summary>
    /// Rebinds the named undefined symbol to another version index in <c>.gnu.version</c>. Used by tests
    /// to construct libraries whose version needs bind other symbols; not part of any fix.
    /// </summary>
    public byte[] WithSymbolBoundTo(string symbol, int versionIndex)
    {
        var sections = ReadSectionHeaders();
        var (dynsym, versym) = (Single(sections, ShtDynsym, ".dynsym"), Single(sections, ShtGnuVersym, ".gnu.version"));
        var strtab = sections[checked((int)dynsym.Link)];
        var copy = ToArray();
        for (var i = 0; i < dynsym.Size / 24; i++)
        {
            var entry = dynsym.Offset + i * 24;
            if (ReadString(strtab, U32(entry)) != symbol)
                continue;
            BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(checked((int)(versym.Offset + i * 2)), 2), (ushort)versionIndex);
            return copy;
        }
        throw new ArgumentException($"{Source} has no dynamic symbol '{symbol}'.", nameof(symbol));
    }

    readonly record struct Section(uint Type, long Offset, long Size, uint Link, uint Info);

    List<Section> ReadSectionHeaders()
    {
        if (_bytes.Length < 64 || _bytes[0] != 0x7f || _bytes[1] != (byte)'E' || _bytes[2] != (byte)'L' || _bytes[3] != (byte)'F')
            throw Invalid("it is not an ELF file (no \\x7fELF magic)");
        if (_bytes[4] != 2 || _bytes[5] != 1)
            throw Invalid("only 64-bit little-endian ELF files are supported");
        var shoff = (long)U64(0x28);
        var shentsize = U16(0x3A);
        var shnum = U16(0x3C);
        if (shoff == 0 || shnum == 0)
            throw Invalid("it has no section headers");
        if (shentsize < 64)
            throw Invalid($"section header size {shentsize} is too small");
        var sections = new List<Section>(shnum);
        for (var i = 0; i < shnum; i++)
        {
            var h = shoff + (long)i * shentsize;
            var s = new Section(U32(h + 4), (long)U64(h + 0x18), (long)U64(h + 0x20), U32(h + 0x28), U32(h + 0x2C));
            if (s.Type != 8 /* SHT_NOBITS */ && (s.Offset < 0 || s.Size < 0 || s.Offset + s.Size > _bytes.Length))
                throw Invalid($"section {i} lies outside the file (offset {s.Offset}, size {s.Size}, file {_bytes.Length} bytes)");
            sections.Add(s);
        }
        return sections;
    }

    List<VersionNeed> ReadVersionNeeds(List<Section> sections)
    {
        var verneed = sections.Where(s => s.Type == ShtGnuVerneed).ToList();
        if (verneed.Count == 0)
            return [];
        var need = verneed[0];
        var strtab = SectionAt(sections, need.Link);
        var symbolsByIndex = UndefinedSymbolsByVersionIndex(sections);
        var result = new List<VersionNeed>();
        var offset = need.Offset;
        for (var n = 0; n < need.Info; n++)
        {
            var count = U16(offset + 2);
            var file = ReadString(strtab, U32(offset + 4));
            var aux = offset + U32(offset + 8);
            for (var a = 0; a < count; a++)
            {
                var flags = U16(aux + 4);
                var index = U16(aux + 6) & 0x7fff;
                var name = ReadString(strtab, U32(aux + 8));
                result.Add(new VersionNeed(file, name, index, (flags & VerFlgWeak) != 0, aux + 4,
                    symbolsByIndex.TryGetValue(index, out var symbols) ? symbols : []));
                var nextAux = U32(aux + 12);
                if (nextAux == 0)
                    break;
                aux += nextAux;
            }
            var next = U32(offset + 12);
            if (next == 0)
                break;
            offset += next;
        }
        return result;
    }

    Dictionary<int, List<string>> UndefinedSymbolsByVersionIndex(List<Section> sections)
    {
        var result = new Dictionary<int, List<string>>();
        var dynsym = sections.FirstOrDefault(s => s.Type == ShtDynsym);
        var versym = sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        if (dynsym.Type == 0 || versym.Type == 0)
            return result;
        var strtab = SectionAt(sections, dynsym.Link);
        var count = dynsym.Size / 24;
        if (versym.Size < count * 2)
            throw Invalid($".gnu.version holds {versym.Size / 2} entries for {count} dynamic symbols");
        for (var i = 1; i < count; i++)
        {
            var entry = dynsym.Offset + i * 24;
            if (U16(entry + 6) != 0) // st_shndx != SHN_UNDEF: defined here, not needed from elsewhere
                continue;
            var index = U16(versym.Offset + i * 2) & 0x7fff;
            if (index < 2)
                continue;
            if (!result.TryGetValue(index, out var list))
                result[index] = list = [];
            list.Add(ReadString(strtab, U32(entry)));
        }
        return result;
    }

    HashSet<string> ReadVersionDefinitions(List<Section> sections)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var verdef = sections.FirstOrDefault(s => s.Type == ShtGnuVerdef);
        if (verdef.Type == 0)
            return result;
        var strtab = SectionAt(sections, verdef.Link);
        var offset = verdef.Offset;
        for (var d = 0; d < verdef.Info; d++)
        {
            var flags = U16(offset + 2);
            var aux = offset + U32(offset + 12);
            if ((flags & VerFlgBase) == 0)
                result.Add(ReadString(strtab, U32(aux)));
            var next = U32(offset + 16);
            if (next == 0)
                break;
            offset += next;
        }
        return result;
    }

    Section Single(List<Section> sections, uint type, string name) =>
        sections.FirstOrDefault(s => s.Type == type) is { Type: not 0 } s ? s : throw Invalid($"it has no {name} section");

    Section SectionAt(List<Section> sections, uint index) =>
        index < sections.Count ? sections[(int)index] : throw Invalid($"section link {index} is out of range");

    string ReadString(Section strtab, uint offset)
    {
        var start = strtab.Offset + offset;
        if (offset >= strtab.Size)
            throw Invalid($"string offset {offset} lies outside its string table");
        var end = Array.IndexOf(_bytes, (byte)0, (int)start, (int)(strtab.Offset + strtab.Size - start));
        if (end < 0)
            throw Invalid("unterminated string in string table");
        return Encoding.ASCII.GetString(_bytes, (int)start, end - (int)start);
    }

    ushort U16(long offset) => BinaryPrimitives.ReadUInt16LittleEndian(Span(offset, 2));
    uint U32(long offset) => BinaryPrimitives.ReadUInt32LittleEndian(Span(offset, 4));
    ulong U64(long offset) => BinaryPrimitives.ReadUInt64LittleEndian(Span(offset, 8));

    ReadOnlySpan<byte> Span(long offset, int length) =>
        offset >= 0 && offset + length <= _bytes.Length
            ? _bytes.AsSpan((int)offset, length)
            : throw Invalid($"a read at offset {offset} runs past the end of the file ({_bytes.Length} bytes); the file is truncated or corrupt");

    InvalidDataException Invalid(string problem) => new($"{Source}: {problem}.");
}
