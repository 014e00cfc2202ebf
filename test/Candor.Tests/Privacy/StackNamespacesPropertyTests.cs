using Candor.Privacy;
using Candor.Protocol;
using Candor.Tests.Support;
using Candor.Tests.Tracking;
using CsCheck;

namespace Candor.Tests.Privacy;

/// <summary>
/// Whatever a product declares and whatever is thrown, a stack signature names only the declared namespaces (and the
/// framework's exception types); and the collector's check passes exactly such signatures.
/// </summary>
public class StackNamespacesPropertyTests
{
    // Names next to the edges: whole-segment prefixes, look-alikes that only share characters, the global namespace.
    private static readonly string[] Spaces = ["Sample", "Sample.Cli", "Program", "Kmpkg", "Candor.Tests", "Candor.Tests.Tracking", "Candor.Tests.Track", "Vendor", "System.IO"];

    private static readonly string[] Types =
    [
        "System.IO.IOException", "Systemic.Failure", "Microsoft.Build.BuildException", "MicrosoftX.Failure", "Sample.Cli.Failure",
        "Sample.jsmith.Failure", "SampleCli.Failure", "jsmith", "Program", "Program.Failure", "Vendor.JsmithException", StackGrammar.ExternalType,
    ];

    private static readonly string[] Frames =
    [
        "Sample.Cli.Run", "Sample.Cli.Install.Run", "Sample.jsmith.Run", "Sample.CliEvil.Run", "Program.Main", "Programs.Main",
        "System.Console.WriteLine", "Microsoft.Extensions.Run", "jsmith.Run", "Kmpkg.Install.Run", "KmpkgEvil.X", StackGrammar.ExternalFrame,
    ];

    private static readonly Gen<string[]> Declared = Gen.OneOf(Spaces).Array[0, 4].Select(s => s.Distinct(StringComparer.Ordinal).ToArray());

    [Fact]
    public void CheckNamespaces_PassesExactlyTheSignaturesOfDeclaredOrFrameworkNames()
    {
        var accepted = 0;
        var refused = 0;
        Gen.Select(Gen.OneOf(Types).Array[1, 5], Gen.OneOf(Frames).Array[0, 16], Declared).Sample((types, frames, declared) =>
        {
            var signature = StackGrammar.Compose(types, frames)!;
            var known = GrammarOracle.IsStackOfNamespaces(signature, declared);
            var problem = StackGrammar.CheckNamespaces(signature, declared);
            Assert.True(known == (problem is null), $"'{signature}' in [{string.Join(", ", declared)}]: {problem}");
            Assert.True(problem is null || !problem.Contains("jsmith", StringComparison.Ordinal), problem);
            _ = known ? accepted++ : refused++;
        }, iter: 20_000);

        Assert.True(accepted > 100 && refused > 100, $"{accepted} accepted, {refused} refused: the generator should reach both");
    }

    [Fact]
    public void From_AnyThrownException_NamesOnlyDeclaredNamespacesAndTheFramework()
    {
        var gen = Gen.Select(Gen.Int[0, Throwers.Count - 1], Gen.Int[0, 3], Declared, Gen.Bool);
        gen.Sample((thrower, wrap, declared, own) =>
        {
            var exception = Wrap(wrap, Throwers.Capture(thrower, "/home/jsmith/secret\0"));

            var signature = StackSignature.From(exception, a => own && a == typeof(Throwers).Assembly, declared);

            Assert.True(GrammarOracle.IsStack(signature), $"'{signature}'");
            Assert.True(GrammarOracle.IsStackOfNamespaces(signature!, declared), $"'{signature}' in [{string.Join(", ", declared)}]");
            Assert.Null(StackGrammar.CheckNamespaces(signature!, declared));
            Assert.Equal(wrap >= 2 && declared.Contains("Vendor"), signature!.Contains("Jsmith", StringComparison.OrdinalIgnoreCase));

            // The thrower's own frames are kept exactly when its assembly is the tool's and its namespace is declared.
            var covered = own && declared.Any(d => d is "Candor.Tests" or "Candor.Tests.Tracking");
            Assert.Equal(covered, signature!.Contains(" at Candor.Tests.Tracking.Throwers.", StringComparison.Ordinal));
        }, iter: 2_000);
    }

    // The exception as thrown, wrapped by the framework, wrapped by a library, or with a library's exception inside
    // (the library's type name spells a user name: it may appear only when the product declares the library's namespace).
    private static Exception Wrap(int how, Exception thrown) => how switch
    {
        0 => thrown,
        1 => new InvalidOperationException("/home/jsmith", thrown),
        2 => new Vendor.Library.JsmithAtHomeException("/home/jsmith", thrown),
        _ => new InvalidOperationException("/home/jsmith", new Vendor.Library.JsmithAtHomeException("/home/jsmith", thrown)),
    };
}
