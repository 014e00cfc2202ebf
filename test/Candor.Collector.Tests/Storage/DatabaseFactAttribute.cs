using Candor.Collector.Tests.Storage.Postgres;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Candor.Collector.Tests.Storage;

/// <summary>
/// A fact that runs against its class's database. In a class marked <see cref="NeedsPostgresAttribute"/> it is
/// skipped, saying why, when no PostgreSQL server answers (outside CI; in CI it runs and fails). This is how the
/// one <see cref="EventStoreContract"/> runs on SQLite always and on PostgreSQL where there is a server. A skipped
/// test's name ends with the reason, because <c>dotnet test</c> prints skipped tests by name and nothing more.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("Candor.Collector.Tests.Storage.DatabaseFactDiscoverer", "Candor.Collector.Tests")]
public sealed class DatabaseFactAttribute : FactAttribute;

/// <summary>Marks a test class whose <see cref="DatabaseFactAttribute"/> tests need the PostgreSQL test server.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class NeedsPostgresAttribute : Attribute;

/// <summary>Marks a test class whose <see cref="DatabaseFactAttribute"/> tests need the PostgreSQL test server and its read replica.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class NeedsPostgresReplicaAttribute : Attribute;

public sealed class DatabaseFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        [new DatabaseTestCase(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod)];
}

public sealed class DatabaseTestCase : SkipReasonInName
{
    [Obsolete("For the de-serializer only.")]
    public DatabaseTestCase()
    {
    }

    public DatabaseTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod testMethod)
        : base(diagnosticMessageSink, display, options, testMethod)
    {
    }

    // Decided from the class that runs the test (a contract's derived class), not the one that declares it.
    protected override string? GetSkipReason(IAttributeInfo factAttribute) =>
        base.GetSkipReason(factAttribute)
        ?? (Marked<NeedsPostgresReplicaAttribute>() ? PostgresServer.ReplicaSkipReason : null)
        ?? (Marked<NeedsPostgresAttribute>() ? PostgresServer.SkipReason : null);

    private bool Marked<T>() where T : Attribute => TestMethod.TestClass.Class.GetCustomAttributes(typeof(T).AssemblyQualifiedName).Any();
}
