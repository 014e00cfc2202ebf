using Xunit.Abstractions;
using Xunit.Sdk;

namespace Candor.Collector.Tests;

/// <summary>Discovers a fact as a <see cref="SkipReasonInName"/> test case.</summary>
public sealed class SkipReasonInNameDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        [new SkipReasonInName(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod)];
}

/// <summary>
/// A fact whose name ends with its skip reason when it is skipped: <c>dotnet test</c> prints a skipped test by its name
/// and nothing more, so without this the output never says what the run lacked. The dashboard tests link this file.
/// </summary>
public class SkipReasonInName : XunitTestCase
{
    [Obsolete("For the de-serializer only.")]
    public SkipReasonInName()
    {
    }

    public SkipReasonInName(IMessageSink diagnosticMessageSink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod testMethod)
        : base(diagnosticMessageSink, display, options, testMethod)
    {
    }

    protected override string GetDisplayName(IAttributeInfo factAttribute, string displayName) =>
        GetSkipReason(factAttribute) is { } reason
            ? $"{base.GetDisplayName(factAttribute, displayName)} [skipped: {reason}]"
            : base.GetDisplayName(factAttribute, displayName);
}
