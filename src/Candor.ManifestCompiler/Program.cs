using Candor.Manifest;

// candor-manifest <manifest.json> <output> [<build facts>]: checks the manifest and writes its compiled form, with the
// build's version, key and endpoint when the build wrote them to a file (see BuildFacts). Problems are printed in the
// form MSBuild shows as errors on the manifest file, one per line, and the exit code is 1; a collector address the SDK
// would refuse is an error on the facts file.
if (args.Length is not (2 or 3))
{
    Console.Error.WriteLine("usage: candor-manifest <manifest.json> <output> [<build facts>]");
    return 2;
}

var (input, output) = (args[0], args[1]);
TelemetryManifest manifest;
BuildFacts? facts;
try
{
    manifest = TelemetryManifest.Parse(File.ReadAllText(input));
    facts = args.Length == 3 ? BuildFacts.Parse(File.ReadAllLines(args[2])) : null;
}
catch (ManifestException ex)
{
    foreach (var problem in ex.Errors)
    {
        Console.WriteLine($"{input}: error CANDOR003: {problem}");
    }

    return 1;
}
catch (IOException ex)
{
    Console.WriteLine($"{input}: error CANDOR003: the manifest cannot be read: {ex.Message}");
    return 1;
}
catch (FormatException ex)
{
    Console.WriteLine($"{args[2]}: error CANDOR003: the build's facts cannot be read: {ex.Message}");
    return 1;
}

// The collector's address is checked here, by the rules a run would check it by: a wrong CandorEndpoint fails the build
// rather than the tool's first run, and a run with the compiled address does not check it again.
if (facts?.Endpoint is { } endpoint && Candor.Delivery.DeliveryEndpoint.Problem(endpoint) is { } endpointProblem)
{
    Console.WriteLine($"{args[2]}: error CANDOR005: CandorEndpoint is not a collector address Candor can send to: {endpointProblem}");
    return 1;
}

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllBytes(output, CompiledManifest.Write(manifest, facts));
return 0;
