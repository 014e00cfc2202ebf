using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Candor.Protocol;

namespace Candor.Privacy;

/// <summary>
/// Turns an exception into a signature that is safe to send, in <see cref="StackGrammar"/>: the exception type
/// names (outer first, then inner ones) and the methods of the tool's own code, innermost frame first.
/// Messages, file paths, line numbers and frames of other code never appear: a message can hold a path or a user
/// name, and a stack trace of a build kept in a user's folder discloses that folder (kmpkg's page warns of exactly this).
/// </summary>
/// <remarks>
/// The tool's own code is what both the tool and its manifest say it is: a frame is kept when its method is in one
/// of the tool's own assemblies and its <c>Namespace.Type.Method</c> is in one of the manifest's declared namespaces,
/// the only frames the collector accepts. An exception type is kept when it is in a declared namespace or the
/// framework's (<see cref="StackGrammar.FrameworkNamespaces"/>); any other is <see cref="StackGrammar.ExternalType"/>:
/// a library's type name is text its author chose, and may be chosen to carry anything.
/// </remarks>
internal static class StackSignature
{
    /// <summary>The signature, or null when not even the exception's type has a name in the grammar.</summary>
    public static string? From(Exception exception, Func<Assembly, bool> isOwn, IReadOnlyList<string> namespaces)
    {
        var chain = new List<Exception>();
        for (var e = exception; e is not null && chain.Count < StackGrammar.MaxTypes; e = e.InnerException)
        {
            chain.Add(e);
        }

        // Innermost exception first: that is where the failure began; the outer ones add where it was wrapped.
        return StackGrammar.Compose(chain.Select(e => KnownType(e.GetType(), namespaces)), Frames(chain, isOwn, namespaces));
    }

    private static string? KnownType(Type type, IReadOnlyList<string> namespaces) =>
        TypeName(type) is { } name && (StackGrammar.IsInNamespaces(name, namespaces) || StackGrammar.IsInNamespaces(name, StackGrammar.FrameworkNamespaces))
            ? name
            : StackGrammar.ExternalType;

    private static IEnumerable<string?> Frames(List<Exception> chain, Func<Assembly, bool> isOwn, IReadOnlyList<string> namespaces)
    {
        for (var i = chain.Count - 1; i >= 0; i--)
        {
            foreach (var frame in new StackTrace(chain[i], fNeedFileInfo: false).GetFrames())
            {
                var method = MethodOf(frame);
                var name = method is not null && isOwn(method.Module.Assembly) ? Describe(method) : null;
                yield return name is not null && StackGrammar.IsInNamespaces(name, namespaces) ? name : StackGrammar.ExternalFrame;
            }
        }
    }

    // Without metadata (a trimmed or Native AOT app that removed it) the frame cannot be attributed to the
    // tool's own code, and an unattributed frame is treated as external: less detail, never more.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "A missing method is handled as an external frame.")]
    private static MethodBase? MethodOf(StackFrame frame) => frame.GetMethod();

    // Namespace.Type.Method. Compiler-generated types (closures "<>c", async and iterator state machines "<Name>d__N")
    // are nested in the type the code was written in: the frame names that type, and for a state machine the method
    // it was made from instead of MoveNext. Lambdas and local functions are named by StackGrammar.NormalizeName.
    private static string? Describe(MethodBase method)
    {
        var type = method.DeclaringType;
        var name = method.Name;
        while (type is not null && type.Name.StartsWith('<') && type.DeclaringType is not null)
        {
            if (name is "MoveNext")
            {
                // The state machine <Name>d__3 of Name: StackGrammar.NormalizeName reads the name it was made from.
                name = type.Name;
            }

            type = type.DeclaringType;
        }

        var typeName = type is null ? null : TypeName(type);
        var methodName = StackGrammar.NormalizeName(name);
        return typeName is null || methodName is null ? null : StackGrammar.NormalizeName(typeName + "." + methodName);
    }

    // Namespace and the chain of declaring types, each without generic arity or arguments ("Outer`1+Inner" is Outer.Inner).
    private static string? TypeName(Type type)
    {
        var names = new List<string>();
        for (var t = type; t is not null; t = t.DeclaringType)
        {
            names.Add(t.Name);
        }

        names.Reverse();
        var joined = string.Join('.', names);
        return StackGrammar.NormalizeName(string.IsNullOrEmpty(type.Namespace) ? joined : type.Namespace + "." + joined);
    }
}
