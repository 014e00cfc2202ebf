using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Candor.Tests.Rooms;

/// <summary>
/// Which of an assembly's namespaces use which, read from its compiled metadata: every type a type names in its base
/// type, interfaces, fields, method signatures, locals, attributes and method bodies (the IL's tokens). A nested type
/// (a closure, an iterator, a state machine) counts for the namespace of the type it is nested in.
/// </summary>
internal sealed class NamespaceGraph
{
    // The IL operand types that carry a metadata token, and every opcode's operand size, from the runtime's own table.
    private static readonly Dictionary<ushort, OperandType> Operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => unchecked((ushort)o.Value), o => o.OperandType);

    private readonly MetadataReader _reader;
    private readonly Dictionary<TypeDefinitionHandle, string> _namespaces = [];
    private readonly TypeCollector _collector = new();

    private NamespaceGraph(MetadataReader reader, string root)
    {
        _reader = reader;
        foreach (var handle in reader.TypeDefinitions)
        {
            var name = OwnNamespace(handle);
            if (name == root || name.StartsWith(root + ".", StringComparison.Ordinal))
            {
                _namespaces[handle] = name;
            }
        }
    }

    /// <summary>Namespace to the namespaces it uses, each with one type pair that shows the use ("A uses B").</summary>
    public Dictionary<string, Dictionary<string, string>> Edges { get; } = [];

    /// <summary>Reads the assembly at <paramref name="path"/>, keeping the namespaces under <paramref name="root"/>.</summary>
    public static NamespaceGraph Read(string path, string root)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var graph = new NamespaceGraph(pe.GetMetadataReader(), root);
        graph.Collect(pe);
        return graph;
    }

    private void Collect(PEReader pe)
    {
        foreach (var (handle, from) in _namespaces)
        {
            var type = _reader.GetTypeDefinition(handle);
            var used = new HashSet<TypeDefinitionHandle>();
            AddEntity(type.BaseType, used);
            foreach (var implementation in type.GetInterfaceImplementations())
            {
                AddEntity(_reader.GetInterfaceImplementation(implementation).Interface, used);
            }

            AddAttributes(type.GetCustomAttributes(), used);
            foreach (var field in type.GetFields())
            {
                var definition = _reader.GetFieldDefinition(field);
                used.UnionWith(definition.DecodeSignature(_collector, null));
                AddAttributes(definition.GetCustomAttributes(), used);
            }

            foreach (var method in type.GetMethods())
            {
                var definition = _reader.GetMethodDefinition(method);
                AddSignature(definition.DecodeSignature(_collector, null), used);
                AddAttributes(definition.GetCustomAttributes(), used);
                if (definition.RelativeVirtualAddress != 0)
                {
                    AddBody(pe.GetMethodBody(definition.RelativeVirtualAddress), used);
                }
            }

            foreach (var target in used)
            {
                if (_namespaces.TryGetValue(target, out var to) && to != from)
                {
                    var uses = Edges.TryGetValue(from, out var known) ? known : Edges[from] = [];
                    uses.TryAdd(to, $"{Name(handle)} uses {Name(target)}");
                }
            }
        }
    }

    private void AddSignature(MethodSignature<IEnumerable<TypeDefinitionHandle>> signature, HashSet<TypeDefinitionHandle> used)
    {
        used.UnionWith(signature.ReturnType);
        foreach (var parameter in signature.ParameterTypes)
        {
            used.UnionWith(parameter);
        }
    }

    private void AddAttributes(CustomAttributeHandleCollection attributes, HashSet<TypeDefinitionHandle> used)
    {
        foreach (var attribute in attributes)
        {
            AddEntity(_reader.GetCustomAttribute(attribute).Constructor, used);
        }
    }

    private void AddBody(MethodBodyBlock body, HashSet<TypeDefinitionHandle> used)
    {
        if (!body.LocalSignature.IsNil)
        {
            foreach (var local in _reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(_collector, null))
            {
                used.UnionWith(local);
            }
        }

        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            ushort code = il.ReadByte();
            if (code == 0xFE)
            {
                code = (ushort)(0xFE00 | il.ReadByte());
            }

            switch (Operands[code])
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType or OperandType.InlineSig:
                    AddEntity(MetadataTokens.EntityHandle(il.ReadInt32()), used);
                    break;
                case OperandType.InlineSwitch:
                    // The count is read before the offset moves past the targets.
                    var targets = il.ReadInt32();
                    il.Offset += 4 * targets;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.InlineString or OperandType.ShortInlineR:
                    il.Offset += 4;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
            }
        }
    }

    private void AddEntity(EntityHandle handle, HashSet<TypeDefinitionHandle> used)
    {
        if (handle.IsNil)
        {
            return;
        }

        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition:
                used.Add((TypeDefinitionHandle)handle);
                break;
            case HandleKind.TypeSpecification:
                used.UnionWith(_reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(_collector, null));
                break;
            case HandleKind.FieldDefinition:
                used.Add(_reader.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                break;
            case HandleKind.MethodDefinition:
                used.Add(_reader.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                break;
            case HandleKind.MethodSpecification:
                var specification = _reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                AddEntity(specification.Method, used);
                foreach (var argument in specification.DecodeSignature(_collector, null))
                {
                    used.UnionWith(argument);
                }

                break;
            case HandleKind.MemberReference:
                var member = _reader.GetMemberReference((MemberReferenceHandle)handle);
                AddEntity(member.Parent, used);
                if (member.GetKind() == MemberReferenceKind.Method)
                {
                    AddSignature(member.DecodeMethodSignature(_collector, null), used);
                }
                else
                {
                    used.UnionWith(member.DecodeFieldSignature(_collector, null));
                }

                break;
            case HandleKind.StandaloneSignature:
                var standalone = _reader.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                if (standalone.GetKind() == StandaloneSignatureKind.Method)
                {
                    AddSignature(standalone.DecodeMethodSignature(_collector, null), used);
                }

                break;
        }
    }

    private string OwnNamespace(TypeDefinitionHandle handle)
    {
        var type = _reader.GetTypeDefinition(handle);
        while (type.IsNested)
        {
            type = _reader.GetTypeDefinition(type.GetDeclaringType());
        }

        return _reader.GetString(type.Namespace);
    }

    private string Name(TypeDefinitionHandle handle)
    {
        var type = _reader.GetTypeDefinition(handle);
        var name = _reader.GetString(type.Name);
        return type.IsNested ? Name(type.GetDeclaringType()) + "+" + name : _reader.GetString(type.Namespace) + "." + name;
    }

    // Decodes a signature into the assembly's own types it names; other assemblies' types name nothing here.
    private sealed class TypeCollector : ISignatureTypeProvider<IEnumerable<TypeDefinitionHandle>, object?>
    {
        private static readonly IEnumerable<TypeDefinitionHandle> None = [];

        public IEnumerable<TypeDefinitionHandle> GetArrayType(IEnumerable<TypeDefinitionHandle> elementType, ArrayShape shape) => elementType;

        public IEnumerable<TypeDefinitionHandle> GetByReferenceType(IEnumerable<TypeDefinitionHandle> elementType) => elementType;

        public IEnumerable<TypeDefinitionHandle> GetFunctionPointerType(MethodSignature<IEnumerable<TypeDefinitionHandle>> signature) =>
            signature.ParameterTypes.SelectMany(p => p).Concat(signature.ReturnType);

        public IEnumerable<TypeDefinitionHandle> GetGenericInstantiation(IEnumerable<TypeDefinitionHandle> genericType, ImmutableArray<IEnumerable<TypeDefinitionHandle>> typeArguments) =>
            genericType.Concat(typeArguments.SelectMany(a => a));

        public IEnumerable<TypeDefinitionHandle> GetGenericMethodParameter(object? genericContext, int index) => None;

        public IEnumerable<TypeDefinitionHandle> GetGenericTypeParameter(object? genericContext, int index) => None;

        public IEnumerable<TypeDefinitionHandle> GetModifiedType(IEnumerable<TypeDefinitionHandle> modifier, IEnumerable<TypeDefinitionHandle> unmodifiedType, bool isRequired) =>
            unmodifiedType;

        public IEnumerable<TypeDefinitionHandle> GetPinnedType(IEnumerable<TypeDefinitionHandle> elementType) => elementType;

        public IEnumerable<TypeDefinitionHandle> GetPointerType(IEnumerable<TypeDefinitionHandle> elementType) => elementType;

        public IEnumerable<TypeDefinitionHandle> GetPrimitiveType(PrimitiveTypeCode typeCode) => None;

        public IEnumerable<TypeDefinitionHandle> GetSZArrayType(IEnumerable<TypeDefinitionHandle> elementType) => elementType;

        public IEnumerable<TypeDefinitionHandle> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [handle];

        public IEnumerable<TypeDefinitionHandle> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => None;

        public IEnumerable<TypeDefinitionHandle> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
    }
}
