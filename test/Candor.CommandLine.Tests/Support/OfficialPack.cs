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

    /// <summary>When "off", the build hands nothing to the detached uploader, so tests can read what a run spooled.</summary>
    public const string DetachedVariable = "CANDOR_TEST_DETACHED";

    public static async Task<int> Main(string[] args)
    {
        if (args is not [Verb, .. var packArgs])
        {
            await Console.Error.WriteLineAsync("usage: pack ...");
            return 2;
        }

        var endpoint = Environment.GetEnvironmentVariable(EndpointVariable);
        var pack = PackTool.Create(new CandorOptions
        {
            Assembly = typeof(PackTool).Assembly,
            Endpoint = endpoint is null ? null : new Uri(endpoint),
            IngestionKey = Environment.GetEnvironmentVariable(KeyVariable),
            Delivery = new DeliveryOptions { DetachedUpload = Environment.GetEnvironmentVariable(DetachedVariable) != "off" },
        });
        return await pack.InvokeAsync(packArgs);
    }
}
