using Candor.Manifest;

// candor-manifest <manifest.json> <output>: checks the manifest and writes its compiled form. Problems are printed in
// the form MSBuild shows as errors on the manifest file, one per line, and the exit code is 1.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: candor-manifest <manifest.json> <output>");
    return 2;
}

var (input, output) = (args[0], args[1]);
TelemetryManifest manifest;
try
{
    manifest = TelemetryManifest.Parse(File.ReadAllText(input));
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

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllBytes(output, CompiledManifest.Write(manifest));
return 0;
