using Candor.Json;
using Candor.Storage;

namespace Candor.Identity;

/// <summary>
/// Keeps each product's <c>identity.json</c> in the Candor home. The file is created lazily, only by a run
/// whose telemetry is on (an opt-out run calls nothing here and so writes nothing), owner-only like every
/// file the SDK writes. Creation and changes take <c>identity.lock</c>, so two first runs of the same product
/// at once agree on one install ID. Every identity this store writes has an install secret
/// (<see cref="InstallSecret"/>); a file written before Candor kept one gets it, with its install ID unchanged, the
/// next time a run with telemetry on opens it.
/// </summary>
internal sealed class IdentityStore
{
    private readonly IFileSystem _files;
    private readonly TimeProvider _time;
    private readonly int _lockAttempts;
    private readonly TimeSpan _lockRetryDelay;

    public IdentityStore(CandorHome home, IFileSystem files, TimeProvider? time = null, int lockAttempts = LockRetry.DefaultAttempts, TimeSpan? lockRetryDelay = null)
    {
        Home = home;
        _files = files;
        _time = time ?? TimeProvider.System;
        _lockAttempts = lockAttempts;
        _lockRetryDelay = lockRetryDelay ?? LockRetry.DefaultDelay;
    }

    public CandorHome Home { get; }

    /// <summary>
    /// The product's identity, or null when it has none yet or its file is unreadable or corrupt.
    /// Never throws, never writes.
    /// </summary>
    public InstallIdentity? TryRead(string product) => ReadFile(product).Value;

    /// <summary>The product's identity file as read, or why it cannot be used (for <c>candor status</c>). Never throws, never writes.</summary>
    public HomeFile<InstallIdentity> ReadFile(string product) =>
        HomeFiles.Read(_files, Home.IdentityFile(product), HomeFiles.MaxStateBytes, static json =>
            IdentityJson.Read(json) is { } identity && identity.Install != Guid.Empty && identity.DisclosureVersion >= 0
                ? identity.Secret is null || InstallSecret.IsWellFormed(identity.Secret)
                    ? identity
                    : throw JsonScanner.Malformed("the install secret is not 64 lower-case hex characters")
                : throw JsonScanner.Malformed("no install ID"));

    /// <summary>
    /// The product's identity, created with a new random install ID and secret when it has none, and given a secret
    /// when it has none yet (a file an earlier Candor wrote keeps its install ID). A file that cannot be used
    /// (corrupt, a folder or a named pipe in its place) is set aside and replaced; the new identity has shown no
    /// disclosure, so the product shows it again before it collects.
    /// </summary>
    /// <exception cref="IOException">The home cannot be written (or the lock stayed taken).</exception>
    /// <exception cref="UnauthorizedAccessException">The home cannot be written.</exception>
    public InstallIdentity GetOrCreate(string product) =>
        TryRead(product) is { Secret: not null, Keys: not null } identity ? identity : Change(product, static current => current);

    /// <summary>Records that disclosure <paramref name="version"/> was shown, creating the identity if needed.</summary>
    /// <remarks>A lower version than one already recorded is ignored: the record only goes up.</remarks>
    /// <exception cref="IOException">The home cannot be written (or the lock stayed taken).</exception>
    /// <exception cref="UnauthorizedAccessException">The home cannot be written.</exception>
    public InstallIdentity RecordDisclosure(string product, int version) =>
        Change(product, current => current.DisclosureVersion >= version ? current : current with { DisclosureVersion = version });

    /// <summary>
    /// Gives the product a new random install ID and a new secret, keeping its first use and the disclosure version
    /// shown, so later events (and their hashes) cannot be linked to earlier ones. The old install ID is kept in
    /// <see cref="InstallIdentity.Retired"/> with its deletion proof, so its events can still be deleted; the old
    /// secret is gone. Returns null, and writes nothing, when the product has no identity (telemetry never ran for
    /// it, or it was erased).
    /// </summary>
    /// <exception cref="IOException">The home cannot be written (or the lock stayed taken).</exception>
    /// <exception cref="UnauthorizedAccessException">The home cannot be written.</exception>
    public InstallIdentity? Reset(string product) =>
        TryRead(product) is null ? null : Change(product, current => current with
        {
            Install = Guid.NewGuid(),
            Secret = InstallSecret.Create(),
            Retired = [.. current.Retired.TakeLast(MaxRetired - 1), new RetiredInstall(current.Install, InstallSecret.DeletionProof(current.Secret!, product, current.Install))],
        });

    /// <summary>The most replaced install IDs an identity keeps; older ones are dropped (a reset a week for two years).</summary>
    public const int MaxRetired = 100;

    /// <summary>
    /// Deletes the product's identity and everything else in its folder: spool, logs, delivery state.
    /// What must outlive an opt-out (that the product was seen, the user's choice) lives in settings.json.
    /// </summary>
    /// <exception cref="IOException">The folder could not be deleted.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder could not be deleted.</exception>
    public void Erase(string product) => EraseDirectory(_files, Home.ProductDirectory(product));

    /// <summary>Deletes a folder, trying again when a running tool adds a file to it while it is being deleted.</summary>
    public static void EraseDirectory(IFileSystem files, string path)
    {
        const int Attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                files.DeleteDirectory(path);
                return;
            }
            catch (IOException) when (attempt < Attempts)
            {
            }
        }
    }

    private InstallIdentity Change(string product, Func<InstallIdentity, InstallIdentity> change)
    {
        HomeFiles.CreateFolder(_files, Home, Home.ProductDirectory(product));
        using var identityLock = LockRetry.Acquire(_files, Home.IdentityLock(product), _lockAttempts, _lockRetryDelay);
        var file = ReadFile(product);
        switch (file.State)
        {
            case HomeFileState.Unusable:
                HomeFiles.TrySetAside(_files, Home.IdentityFile(product));
                break;
            case HomeFileState.Unreadable:
                // It may hold the install ID the user's events carry; a passing error must not replace it.
                throw new IOException($"'{Home.IdentityFile(product)}' {file.Problem}");
        }

        var existing = file.Value;
        var current = existing ?? new InstallIdentity(Guid.NewGuid(), _time.GetUtcNow(), DisclosureVersion: 0);
        if (current.Secret is null)
        {
            current = current with { Secret = InstallSecret.Create() };
        }

        // The kept keys follow the secret and the install ID they are derived from, whatever the change did.
        var next = change(current);
        if (next.Keys is null || next.Secret != current.Secret || next.Install != current.Install)
        {
            next = next.WithKeys(product);
        }

        if (existing is null || next != existing)
        {
            _files.WriteAtomic(Home.IdentityFile(product), IdentityJson.Write(next), durable: true);
        }

        return next;
    }
}
