using Candor.Identity;
using Candor.Manifest;
using Candor.Platform;
using Candor.Storage;

namespace Candor.Consent;

/// <summary>
/// The user's telemetry choices on this machine, shared by every Candor tool and every environment: one
/// machine-wide level and one level per product, kept in <c>settings.json</c> in the user's Candor home
/// (<c>CANDOR_HOME</c>, else the platform's user configuration folder). The <c>candor</c> tool and the
/// command-line integration read and change them through this class.
/// </summary>
/// <remarks>
/// Reading never blocks and never throws. Changing takes a cross-process lock, so several processes may
/// change the file at once without losing a change or corrupting it. A per-product choice wins over the
/// machine-wide one; variables such as <c>DO_NOT_TRACK</c> and a machine policy still win over both.
/// </remarks>
public sealed class CandorSettings
{
    private readonly CandorHome? _home;
    private readonly IFileSystem _files;
    private readonly SettingsStore? _store;

    internal CandorSettings(CandorHome? home, IFileSystem files, TimeProvider? time = null, int lockAttempts = LockRetry.DefaultAttempts, TimeSpan? lockRetryDelay = null)
    {
        _home = home;
        _files = files;
        _store = home is null ? null : new SettingsStore(home, files, time, lockAttempts, lockRetryDelay);
    }

    /// <summary>Opens the settings of the current user's Candor home.</summary>
    /// <remarks>Does not touch the disk. Never throws; without a home, there are no choices and changes throw.</remarks>
    public static CandorSettings Open() => new(HomeLocator.Find(ProcessEnvironment.Instance).Home, PhysicalFileSystem.Instance);

    /// <summary>The folder of the Candor home, or null when the user has none (no profile folder and no <c>CANDOR_HOME</c>).</summary>
    public string? HomePath => _home?.Root;

    /// <summary>
    /// The products seen on this machine (a run found telemetry on) or given a choice, sorted by ID. A product
    /// stays listed after it is turned off and its data erased.
    /// </summary>
    /// <remarks>Reads the file on each call; never throws.</remarks>
    public IReadOnlyList<string> Products => Read().Products;

    /// <summary>
    /// The user's choice for <paramref name="product"/>, or the machine-wide choice when <paramref name="product"/>
    /// is null; null when there is no such choice. A value in the file that is not a level reads as
    /// <see cref="TelemetryLevel.Off"/>.
    /// </summary>
    /// <remarks>
    /// This is the stored choice only, not the effective level: a product without its own choice follows the
    /// machine-wide one, and variables, flags and policy can still turn it off. A settings file that is there but
    /// cannot be read has no product choices and a machine-wide <see cref="TelemetryLevel.Off"/>, as consent reads
    /// it. Never throws.
    /// </remarks>
    public TelemetryLevel? GetLevel(string? product = null)
    {
        var snapshot = Read();
        if (snapshot.Problem is not null)
        {
            return product is null ? TelemetryLevel.Off : null;
        }

        var written = product is null ? snapshot.MachineLevel : snapshot.ProductLevel(product);
        if (written is null)
        {
            return null;
        }

        // Privacy first: a hand-edited value that is not a level reads as off, as the resolver treats it.
        return TelemetryLevelText.TryParse(written, out var level) ? level : TelemetryLevel.Off;
    }

    /// <summary>
    /// Sets the level for <paramref name="product"/>, or the machine-wide level when <paramref name="product"/> is null.
    /// </summary>
    /// <remarks>
    /// Setting <see cref="TelemetryLevel.Off"/> also erases the product's local data (install ID, unsent events,
    /// logs); the product stays listed in <see cref="Products"/>. Setting the machine-wide level to off withdraws
    /// every per-product choice and erases every product's data, so every product is off. Blocks while another
    /// process changes the settings, for at most a few seconds.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="product"/> is not a product ID.</exception>
    /// <exception cref="IOException">
    /// The settings cannot be written (no home, a read-only or full disk, the lock stayed taken, a settings file that
    /// is there but cannot be read now), or the choice was saved but some of the product's data could not be erased
    /// (the message says which). A settings file that can never be read is set aside, and the new one starts with
    /// the machine-wide choice off.
    /// </exception>
    public void SetLevel(TelemetryLevel level, string? product = null)
    {
        var text = TelemetryLevelText.ToText(level);
        CheckProduct(product);
        Change(document =>
        {
            if (product is null)
            {
                document.Level = text;
                if (level == TelemetryLevel.Off)
                {
                    foreach (var entry in document.Products.Values)
                    {
                        entry.Level = null;
                    }
                }
            }
            else
            {
                Entry(document, product).Level = text;
            }

            return true;
        });

        if (level == TelemetryLevel.Off)
        {
            Erase(product);
        }
    }

    /// <summary>
    /// Withdraws the choice for <paramref name="product"/> (it then follows the machine-wide choice), or the
    /// machine-wide choice when <paramref name="product"/> is null (products then follow their defaults).
    /// </summary>
    /// <remarks>Erases nothing. Blocks while another process changes the settings, for at most a few seconds.</remarks>
    /// <exception cref="ArgumentException"><paramref name="product"/> is not a product ID.</exception>
    /// <exception cref="IOException">The settings cannot be written.</exception>
    public void ClearLevel(string? product = null)
    {
        CheckProduct(product);
        Change(document =>
        {
            if (product is null)
            {
                var had = document.Level is not null;
                document.Level = null;
                return had;
            }

            if (document.Products.GetValueOrDefault(product) is not { Level: not null } entry)
            {
                return false;
            }

            entry.Level = null;
            return true;
        });
    }

    private SettingsSnapshot Read() => _store?.Read() ?? SettingsSnapshot.Empty;

    private void Change(Func<SettingsDocument, bool> change)
    {
        if (_store is null)
        {
            throw new IOException($"there is no Candor home to keep the settings in: set {CandorHome.Variable}");
        }

        try
        {
            _store.Update(change);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new IOException($"the settings in '{_store.Home.Root}' cannot be written: {ex.Message}", ex);
        }
    }

    private void Erase(string? product)
    {
        var home = _store!.Home;
        var path = product is null ? home.ProductsDirectory : home.ProductDirectory(product);
        try
        {
            IdentityStore.EraseDirectory(_files, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"telemetry is off, but '{path}' could not be fully erased: {ex.Message}", ex);
        }
    }

    private static ProductSettings Entry(SettingsDocument document, string product)
    {
        if (!document.Products.TryGetValue(product, out var entry))
        {
            entry = new ProductSettings();
            document.Products[product] = entry;
        }

        return entry;
    }

    private static void CheckProduct(string? product)
    {
        if (product is not null && !ManifestBuilder.IdPattern().IsMatch(product))
        {
            throw new ArgumentException($"'{product}' is not a product ID (1-64 lower-case letters, digits, '.', '_' or '-')", nameof(product));
        }
    }
}
