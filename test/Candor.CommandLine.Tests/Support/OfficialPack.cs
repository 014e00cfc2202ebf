using System.Globalization;
using Candor.Delivery;
using Candor.Samples.Cli;

namespace Candor.CommandLine.Tests.Support;

/// <summary>
/// The test assembly's entry point: <c>dotnet Candor.CommandLine.Tests.dll pack ...</c> runs the pack sample's
/// own code as an official build would, with the collector and ingestion key the build would embed, here from
/// <c>CANDOR_TEST_ENDPOINT</c> and <c>CANDOR_TEST_KEY</c> because the tests pick a free port at run time.
/// </summary>
internal static class OfficialPack
{
    public const string Verb = "pack";
    public const string EndpointVariable = "CANDOR_TEST_ENDPOINT";
    public const string KeyVariable = "CANDOR_TEST_KEY";

    /// <summary>When set, the tool uploads after every event and waits this many milliseconds at exit for it.</summary>
    public const string EagerVariable = "CANDOR_TEST_EAGER_MS";

    public static async Task<int> Main(string[] args)
    {
        if (args is not [Verb, .. var packArgs])
        {
            await Console.Error.WriteLineAsync("usage: pack ...");
            return 2;
        }

        var eager = Environment.GetEnvironmentVariable(EagerVariable);
        var endpoint = Environment.GetEnvironmentVariable(EndpointVariable);
        var pack = PackTool.Create(new CandorOptions
        {
            Assembly = typeof(PackTool).Assembly,
            Endpoint = endpoint is null ? null : new Uri(endpoint),
            IngestionKey = Environment.GetEnvironmentVariable(KeyVariable),
            Delivery = eager is null
                ? new DeliveryOptions()
                : new DeliveryOptions { UploadAtEvents = 1, ExitBudget = TimeSpan.FromMilliseconds(int.Parse(eager, CultureInfo.InvariantCulture)) },
        });
        return await pack.InvokeAsync(packArgs);
    }
}
