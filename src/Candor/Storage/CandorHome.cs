using Candor.Platform;

namespace Candor.Storage;

/// <summary>
/// Where Candor keeps its files for one user: <c>CANDOR_HOME</c>, else the platform's user configuration
/// folder. One home is shared by every Candor tool and every environment of that user on the machine.
/// <code>
/// settings.json              consent choices: machine-wide and per product
/// settings.lock              serialises changes to settings.json
/// settings.off               present while settings.json turns every product off (Consent/SettingsOffMarker.cs)
/// upload.lock                one uploader at a time per machine
/// upload.starting            when a run last started the detached uploader, so runs that exit meanwhile start no other
/// products/{id}/identity.json  install ID, first use, disclosure version shown
/// products/{id}/identity.lock  serialises the creation and changes of identity.json
/// products/{id}/spool/       events waiting to be sent, one file each
/// products/{id}/spool/corrupt/  spool files that were not events, set aside (bounded)
/// products/{id}/sent.jsonl   the transparency log of what the collector acknowledged
/// products/{id}/rejected.jsonl  events the collector refused, with the reason (bounded)
/// products/{id}/local.jsonl  events recorded at the 'local' level, never sent
/// products/{id}/delivery.json  retry and backoff state that survives short runs
/// products/{id}/upload.request  a run's request that the detached uploader send the product's spool
/// catalog/{id}.json          the product's manifest and collector, for the candor tool (outlives an opt-out)
/// </code>
/// </summary>
internal sealed class CandorHome
{
    /// <summary>The environment variable that moves the home.</summary>
    public const string Variable = "CANDOR_HOME";

    public CandorHome(string root)
    {
        Root = root;
    }

    public string Root { get; }

    public string SettingsFile => Path.Combine(Root, "settings.json");

    public string SettingsLock => Path.Combine(Root, "settings.lock");

    /// <summary>Present while settings.json turns every product off (see Consent/SettingsOffMarker.cs).</summary>
    public string SettingsOffFile => Path.Combine(Root, "settings.off");

    public string UploadLock => Path.Combine(Root, "upload.lock");

    public string UploadStarting => Path.Combine(Root, "upload.starting");

    public string ProductsDirectory => Path.Combine(Root, "products");

    public string ProductDirectory(string product) => Path.Combine(ProductsDirectory, product);

    public string IdentityFile(string product) => Path.Combine(ProductDirectory(product), "identity.json");

    public string IdentityLock(string product) => Path.Combine(ProductDirectory(product), "identity.lock");

    public string SpoolDirectory(string product) => Path.Combine(ProductDirectory(product), "spool");

    public string CorruptDirectory(string product) => Path.Combine(SpoolDirectory(product), "corrupt");

    public string SentLog(string product) => Path.Combine(ProductDirectory(product), "sent.jsonl");

    public string RejectedLog(string product) => Path.Combine(ProductDirectory(product), "rejected.jsonl");

    public string LocalLog(string product) => Path.Combine(ProductDirectory(product), "local.jsonl");

    public string DeliveryState(string product) => Path.Combine(ProductDirectory(product), "delivery.json");

    /// <summary>An empty file whose time says when a run that could not hand its events off last trimmed the spool.</summary>
    public string SpoolTrimmed(string product) => Path.Combine(ProductDirectory(product), "spool.trimmed");

    /// <summary>
    /// The mark a run leaves when it hands its events to the detached uploader. It lives in the product's folder so
    /// that an opt-out, which erases that folder, also withdraws the request.
    /// </summary>
    public string UploadRequest(string product) => Path.Combine(ProductDirectory(product), "upload.request");

    public string CatalogDirectory => Path.Combine(Root, "catalog");

    public string CatalogFile(string product) => Path.Combine(CatalogDirectory, product + ".json");

    /// <summary>
    /// Finds the home from <c>CANDOR_HOME</c> or the platform's configuration folder; <see langword="null"/>
    /// when the user has no home at all (a service account, a stripped container).
    /// </summary>
    public static CandorHome? Resolve(IEnvironment environment)
    {
        var explicitHome = environment.Get(Variable);
        if (!string.IsNullOrWhiteSpace(explicitHome))
        {
            return new CandorHome(Path.GetFullPath(explicitHome));
        }

        var config = environment.ConfigFolder();
        return string.IsNullOrEmpty(config) ? null : new CandorHome(Path.Combine(config, "candor"));
    }
}
