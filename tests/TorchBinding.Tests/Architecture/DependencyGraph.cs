using System.Collections.Immutable;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace TorchBinding.Tests.Architecture;

/// <summary>
/// Which types of a compiled assembly use which, read from its metadata: a type uses every type of the same assembly
/// that its base type, interfaces, generic constraints, attributes, field, property, event and method signatures,
/// locals and method bodies (IL) mention. Nested and compiler-generated types (lambdas, iterators, state machines)
/// count as the top-level type that declares them. Only the assembly's own types are followed.
/// </summary>
sealed class DependencyGraph
{
    /// <summary>A top-level type of the assembly.</summary>
    public sealed record TypeNode(string Namespace, string Name)
    {
        public override string ToString() => Namespace + "." + Name;
    }

    /// <summary>One type using another.</summary>
    public sealed record Use(TypeNode User, TypeNode Used)
    {
        public override string ToString() => $"{User} uses {Used}";
    }

    /// <summary>The assembly's top-level types (of those read).</summary>
    public required IReadOnlySet<TypeNode> Types { get; init; }

    /// <summary>Every use of one type by another (a type's uses of itself left out).</summary>
    public required IReadOnlySet<Use> Uses { get; init; }

    /// <summary>The namespaces that hold at least one type.</summary>
    public SortedSet<string> Namespaces => new(Types.Select(t => t.Namespace), StringComparer.Ordinal);

    /// <summary>Reads the types of the assembly at <paramref name="path"/> whose namespace is <paramref name="prefix"/> or below it.</summary>
    public static DependencyGraph Read(string path, string prefix)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var collector = new Collector(reader, pe);
        var types = new HashSet<TypeNode>();
        var uses = new HashSet<Use>();
        bool InScope(TypeNode t) => t.Namespace == prefix || t.Namespace.StartsWith(prefix + ".", StringComparison.Ordinal);
        foreach (var handle in reader.TypeDefinitions)
        {
            var user = NodeOf(reader, handle);
            if (!InScope(user))
                continue;
            types.Add(user);
            foreach (var used in collector.TypesUsedBy(handle).Select(h => NodeOf(reader, h)))
            {
                if (used != user && InScope(used))
                    uses.Add(new Use(user, used));
            }
        }
        return new DependencyGraph { Types = types, Uses = uses };
    }

    /// <summary>
    /// The groups of nodes that reach each other along the edges (strongly connected components of two or more nodes,
    /// by Tarjan's algorithm), each sorted, in no particular order.
    /// </summary>
    public static List<List<T>> Cycles<T>(IEnumerable<T> nodes, IEnumerable<(T From, T To)> edges) where T : notnull
    {
        var next = nodes.Distinct().ToDictionary(n => n, _ => new List<T>());
        foreach (var (from, to) in edges.Distinct())
            next[from].Add(to);
        var index = new Dictionary<T, int>();
        var low = new Dictionary<T, int>();
        var stack = new Stack<T>();
        var onStack = new HashSet<T>();
        var cycles = new List<List<T>>();
        void Visit(T v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in next[v])
            {
                if (!index.ContainsKey(w))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                    low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v])
                return;
            var component = new List<T>();
            T member;
            do
            {
                member = stack.Pop();
                onStack.Remove(member);
                component.Add(member);
            }
            while (!EqualityComparer<T>.Default.Equals(member, v));
            if (component.Count > 1)
                cycles.Add(component.OrderBy(c => c.ToString(), StringComparer.Ordinal).ToList());
        }
        foreach (var n in next.Keys.Where(n => !index.ContainsKey(n)).ToList())
            Visit(n);
        return cycles;
    }

    static TypeNode NodeOf(MetadataReader reader, TypeDefinitionHandle handle)
    {
        while (reader.GetTypeDefinition(handle).GetDeclaringType() is { IsNil: false } declaring)
            handle = declaring;
        var type = reader.GetTypeDefinition(handle);
        return new TypeNode(reader.GetString(type.Namespace), reader.GetString(type.Name));
    }

    /// <summary>Collects the assembly's own types that a type mentions.</summary>
    sealed class Collector(MetadataReader reader, PEReader pe) : ISignatureTypeProvider<TypeDefinitionHandle[], object?>
    {
        static readonly Dictionary<ushort, OpCode> OpCodesByValue = typeof(OpCodes).GetFields()
            .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => unchecked((ushort)o.Value));

        static readonly TypeDefinitionHandle[] None = [];

        public HashSet<TypeDefinitionHandle> TypesUsedBy(TypeDefinitionHandle handle)
        {
            var used = new HashSet<TypeDefinitionHandle>();
            var type = reader.GetTypeDefinition(handle);
            Add(used, type.BaseType);
            foreach (var i in type.GetInterfaceImplementations())
                Add(used, reader.GetInterfaceImplementation(i).Interface);
            AddAttributes(used, type.GetCustomAttributes());
            AddConstraints(used, type.GetGenericParameters());
            foreach (var f in type.GetFields())
            {
                var field = reader.GetFieldDefinition(f);
                used.UnionWith(field.DecodeSignature(this, null));
                AddAttributes(used, field.GetCustomAttributes());
            }
            foreach (var p in type.GetProperties())
            {
                var property = reader.GetPropertyDefinition(p);
                AddSignature(used, property.DecodeSignature(this, null));
                AddAttributes(used, property.GetCustomAttributes());
            }
            foreach (var e in type.GetEvents())
                Add(used, reader.GetEventDefinition(e).Type);
            foreach (var m in type.GetMethods())
                AddMethod(used, reader.GetMethodDefinition(m));
            return used;
        }

        void AddMethod(HashSet<TypeDefinitionHandle> used, MethodDefinition method)
        {
            AddSignature(used, method.DecodeSignature(this, null));
            AddAttributes(used, method.GetCustomAttributes());
            foreach (var p in method.GetParameters())
                AddAttributes(used, reader.GetParameter(p).GetCustomAttributes());
            AddConstraints(used, method.GetGenericParameters());
            if (method.RelativeVirtualAddress == 0)
                return;
            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
            {
                foreach (var local in reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null))
                    used.UnionWith(local);
            }
            foreach (var region in body.ExceptionRegions)
                Add(used, region.CatchType);
            var il = body.GetILReader();
            while (il.RemainingBytes > 0)
            {
                var first = il.ReadByte();
                var value = first == 0xFE ? (ushort)(0xFE00 | il.ReadByte()) : first;
                switch (OpCodesByValue[value].OperandType)
                {
                    case OperandType.InlineNone:
                        break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                        il.Offset += 1;
                        break;
                    case OperandType.InlineVar:
                        il.Offset += 2;
                        break;
                    case OperandType.InlineI8 or OperandType.InlineR:
                        il.Offset += 8;
                        break;
                    case OperandType.InlineSwitch:
                        var targets = il.ReadInt32();
                        il.Offset += 4 * targets;
                        break;
                    case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                        Add(used, MetadataTokens.EntityHandle(il.ReadInt32()));
                        break;
                    default: // InlineI, InlineBrTarget, InlineSig, InlineString, ShortInlineR: four bytes
                        il.Offset += 4;
                        break;
                }
            }
        }

        void Add(HashSet<TypeDefinitionHandle> used, EntityHandle handle)
        {
            if (handle.IsNil)
                return;
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    used.Add((TypeDefinitionHandle)handle);
                    break;
                case HandleKind.TypeSpecification:
                    used.UnionWith(reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null));
                    break;
                case HandleKind.MethodDefinition:
                    used.Add(reader.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.FieldDefinition:
                    used.Add(reader.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.MethodSpecification:
                    var specification = reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Add(used, specification.Method);
                    foreach (var argument in specification.DecodeSignature(this, null))
                        used.UnionWith(argument);
                    break;
                case HandleKind.MemberReference:
                    var member = reader.GetMemberReference((MemberReferenceHandle)handle);
                    Add(used, member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method)
                        AddSignature(used, member.DecodeMethodSignature(this, null));
                    else
                        used.UnionWith(member.DecodeFieldSignature(this, null));
                    break;
            }
        }

        static void AddSignature(HashSet<TypeDefinitionHandle> used, MethodSignature<TypeDefinitionHandle[]> signature)
        {
            used.UnionWith(signature.ReturnType);
            foreach (var parameter in signature.ParameterTypes)
                used.UnionWith(parameter);
        }

        void AddAttributes(HashSet<TypeDefinitionHandle> used, CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes)
                Add(used, reader.GetCustomAttribute(a).Constructor);
        }

        void AddConstraints(HashSet<TypeDefinitionHandle> used, GenericParameterHandleCollection parameters)
        {
            foreach (var p in parameters)
            {
                foreach (var c in reader.GetGenericParameter(p).GetConstraints())
                    Add(used, reader.GetGenericParameterConstraint(c).Type);
            }
        }

        public TypeDefinitionHandle[] GetPrimitiveType(PrimitiveTypeCode typeCode) => None;
        public TypeDefinitionHandle[] GetTypeFromDefinition(MetadataReader r, TypeDefinitionHandle handle, byte rawTypeKind) => [handle];
        public TypeDefinitionHandle[] GetTypeFromReference(MetadataReader r, TypeReferenceHandle handle, byte rawTypeKind) => None;
        public TypeDefinitionHandle[] GetTypeFromSpecification(MetadataReader r, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            r.GetTypeSpecification(handle).DecodeSignature(this, context);
        public TypeDefinitionHandle[] GetSZArrayType(TypeDefinitionHandle[] elementType) => elementType;
        public TypeDefinitionHandle[] GetArrayType(TypeDefinitionHandle[] elementType, ArrayShape shape) => elementType;
        public TypeDefinitionHandle[] GetByReferenceType(TypeDefinitionHandle[] elementType) => elementType;
        public TypeDefinitionHandle[] GetPointerType(TypeDefinitionHandle[] elementType) => elementType;
        public TypeDefinitionHandle[] GetPinnedType(TypeDefinitionHandle[] elementType) => elementType;
        public TypeDefinitionHandle[] GetGenericInstantiation(TypeDefinitionHandle[] genericType, ImmutableArray<TypeDefinitionHandle[]> typeArguments) =>
            [.. genericType, .. typeArguments.SelectMany(a => a)];
        public TypeDefinitionHandle[] GetGenericMethodParameter(object? context, int index) => None;
        public TypeDefinitionHandle[] GetGenericTypeParameter(object? context, int index) => None;
        public TypeDefinitionHandle[] GetFunctionPointerType(MethodSignature<TypeDefinitionHandle[]> signature) =>
            [.. signature.ReturnType, .. signature.ParameterTypes.SelectMany(p => p)];
        public TypeDefinitionHandle[] GetModifiedType(TypeDefinitionHandle[] modifier, TypeDefinitionHandle[] unmodifiedType, bool isRequired) =>
            [.. modifier, .. unmodifiedType];
    }
}
