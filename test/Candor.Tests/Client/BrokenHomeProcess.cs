using System.Text;
using Candor.Delivery;
using Candor.Manifest;
using Candor.Storage;
using CsCheck;

namespace Candor.Tests.Client;

/// <summary>
/// <c>dotnet Candor.Tests.dll broken-home {iterations}</c>: over the home that <c>CANDOR_HOME</c> names, damages one
/// file of a working home at random (random bytes, one byte changed, cut short, a lone surrogate escape written in,
/// or a folder, named pipe or looping link in its place), then builds a client with <see cref="CandorClient.Create"/>,
/// tracks and disposes it, as a tool does; again and again. Exits 0 when no run threw, else 1 with the smallest
/// damage CsCheck found that makes one throw.
/// </summary>
internal static class BrokenHomeProcess
{
    // Where damage goes: the files and folders of the home that a run reads or writes.
    private static readonly string[] Places =
    [
        "settings.json", "settings.lock", "upload.lock", "catalog/sample.json", "products/sample/identity.json",
        "products/sample/identity.lock", "products/sample/delivery.json", "products/sample/sent.jsonl",
        "products/sample/local.jsonl", "products/sample/spool/{event}", "products/sample/spool", "products/sample", "catalog",
    ];

    // The damage done to what a good file holds at that place (or to a template, where a good home has none yet).
    private static readonly Gen<Damage> Damages = Gen.Frequency(
        (3, Gen.Byte.Array[0, 64].Select(bytes => new Damage("bytes", 0, bytes))),
        (3, Gen.Select(Gen.Int[0, 4096], Gen.Byte.Array[1, 1]).Select((at, bytes) => new Damage("change", at, bytes))),
        (3, Gen.Int[0, 4096].Select(at => new Damage("cut", at, []))),
        (2, Gen.Int[0, 4096].Select(at => new Damage("surrogate", at, []))),
        (1, Gen.OneOf("folder", "fifo", "loop").Select(kind => new Damage(kind, 0, []))));

    public static int Run(string[] args)
    {
        var home = new CandorHome(Environment.GetEnvironmentVariable(CandorHome.Variable)!);
        var iterations = int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);

        // A working home: the first run shows the notice and records the product, the second spools events.
        Reset(home, baseline: null);
        RunTool(home);
        RunTool(home);
        var baseline = Snapshot(home);

        try
        {
            Gen.Select(Gen.Int[0, Places.Length - 1], Damages).Sample((place, damage) =>
            {
                Reset(home, baseline);
                Break(home, Places[place], damage, baseline);
                RunTool(home);
            }, iter: iterations, threads: 1, print: t => $"{Places[t.Item1]}: {t.Item2}");
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine(ex.ToString());
            return 1;
        }

        return 0;
    }

    private static void RunTool(CandorHome home)
    {
        using (var client = CandorClient.Create(new CandorOptions
        {
            Manifest = TelemetryManifest.Parse(Some.ManifestJson),
            Assembly = typeof(BrokenHomeProcess).Assembly,
            ProductVersion = "1.0.0",
            IngestionKey = "test-key",

            // A port nothing listens on. The run hands nothing to a detached uploader (a thousand of them would swamp
            // the machine); the upload that follows does the uploader's work in this process, refused at once.
            Endpoint = new Uri("http://127.0.0.1:9/"),
            Delivery = new DeliveryOptions { DetachedUpload = false },
            DisclosureWriter = TextWriter.Null,
        }))
        {
            client.Event("install").With("packages", ["zlib"]).With("size", 1L).Track();
            client.Track("crash");
        }

        using var delivery = new EventDelivery(home, "sample", "http://127.0.0.1:9/", "test-key");
        delivery.UploadNowAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    private static Dictionary<string, byte[]> Snapshot(CandorHome home) =>
        Directory.EnumerateFiles(home.Root, "*", SearchOption.AllDirectories)
            .Where(p => !p.EndsWith(".lock", StringComparison.Ordinal))
            .ToDictionary(p => Path.GetRelativePath(home.Root, p), File.ReadAllBytes);

    private static void Reset(CandorHome home, Dictionary<string, byte[]>? baseline)
    {
        if (Directory.Exists(home.Root))
        {
            Directory.Delete(home.Root, recursive: true);
        }

        Directory.CreateDirectory(home.Root);
        foreach (var (relative, bytes) in baseline ?? [])
        {
            var path = Path.Combine(home.Root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
        }
    }

    private static void Break(CandorHome home, string place, Damage damage, Dictionary<string, byte[]> baseline)
    {
        if (place.EndsWith("{event}", StringComparison.Ordinal))
        {
            place = baseline.Keys.First(k => k.Contains("spool", StringComparison.Ordinal));
        }

        var path = Path.Combine(home.Root, place);
        var good = baseline.GetValueOrDefault(place) ?? Template(place);
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        else
        {
            File.Delete(path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        switch (damage.Kind)
        {
            case "folder":
                Directory.CreateDirectory(Path.Combine(path, "inside"));
                return;
            case "fifo":
                Support.Fifo.Make(path);
                return;
            case "loop":
                File.CreateSymbolicLink(path, path);
                return;
        }

        File.WriteAllBytes(path, damage.Apply(good));
    }

    private static byte[] Template(string place) => Encoding.UTF8.GetBytes(Path.GetFileName(place) switch
    {
        "delivery.json" => """{"nextAttempt":"2025-01-01T00:00:00+00:00","failures":1,"lastFailure":"timeout"}""",
        "sent.jsonl" => """{"acknowledged":"2025-01-01T00:00:00+00:00","event":{"id":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}}""" + "\n",
        "local.jsonl" => """{"recorded":"2025-01-01T00:00:00+00:00","event":{"id":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}}""" + "\n",
        _ => "",
    });

    private sealed record Damage(string Kind, int At, byte[] Bytes)
    {
        public byte[] Apply(byte[] good)
        {
            switch (Kind)
            {
                case "bytes":
                    return Bytes;
                case "change" when good.Length > 0:
                    var changed = good.ToArray();
                    changed[At % good.Length] = Bytes[0];
                    return changed;
                case "cut":
                    return good[..(good.Length == 0 ? 0 : At % good.Length)];
                case "surrogate":
                    // Inside a string or not: where it is not, the file is simply not JSON.
                    var quote = Array.IndexOf(good, (byte)'"', good.Length == 0 ? 0 : At % good.Length);
                    return quote < 0 ? good : [.. good[..(quote + 1)], .. "\\ud800"u8, .. good[(quote + 1)..]];
                default:
                    return good;
            }
        }

        public override string ToString() => $"{Kind} at {At} [{Convert.ToHexString(Bytes)}]";
    }
}
