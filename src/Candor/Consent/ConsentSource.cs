namespace Candor.Consent;

/// <summary>Which source decided the telemetry level, in the order they are asked (the first that speaks wins).</summary>
public enum ConsentSource
{
    /// <summary>A machine policy for managed machines forced telemetry off.</summary>
    MachinePolicy,

    /// <summary>The program itself turned telemetry off through <see cref="CandorTelemetry.Disable(string?)"/>.</summary>
    Program,

    /// <summary>A command-line flag for this run (<c>--disable-telemetry</c> or the product's alias).</summary>
    CommandLine,

    /// <summary>One of the product's own opt-out environment variables.</summary>
    ProductVariable,

    /// <summary>The <c>DO_NOT_TRACK</c> environment variable.</summary>
    DoNotTrack,

    /// <summary>The <c>CANDOR_TELEMETRY</c> environment variable.</summary>
    CandorVariable,

    /// <summary>The user's choice for this product, in the Candor settings file.</summary>
    UserProduct,

    /// <summary>The user's machine-wide choice, in the Candor settings file.</summary>
    UserMachine,

    /// <summary>The run is a CI run and the product suppresses CI.</summary>
    ContinuousIntegration,

    /// <summary>This run showed the first-run disclosure, so it sends nothing.</summary>
    FirstRunDisclosure,

    /// <summary>The Candor home is missing or not writable, so telemetry is off for this run.</summary>
    HomeUnavailable,

    /// <summary>No source spoke: the product's default (opt-out or opt-in).</summary>
    ProductDefault,

    /// <summary>The build has no ingestion key (a build from source): it can send nothing, so it records nothing unless it prints its events or the user keeps them locally.</summary>
    PrivateBuild,
}
