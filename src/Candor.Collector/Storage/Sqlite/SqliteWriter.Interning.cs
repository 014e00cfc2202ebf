using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

internal sealed partial class SqliteWriter
{
    private long ExecuteWithId(string sql, long id)
    {
        var cmd = Command(sql);
        cmd.Parameters["$id"].Value = id;
        return cmd.ExecuteNonQuery();
    }

    // The empty string is 0 everywhere, so "no CI vendor" and "no country" need no row and compare cheaply.
    private long Intern(string value)
    {
        if (value.Length == 0)
        {
            return 0;
        }

        if (_strings.TryGetValue(value, out var id))
        {
            return id;
        }

        var find = Command("SELECT id FROM strings WHERE value = $value");
        find.Parameters["$value"].Value = value;
        if (find.ExecuteScalar() is not long found)
        {
            var insert = Command("INSERT INTO strings(value) VALUES ($value) RETURNING id");
            insert.Parameters["$value"].Value = value;
            found = (long)insert.ExecuteScalar()!;
        }

        if (_strings.Count > MaxCacheEntries)
        {
            _strings.Clear();
        }

        _strings[value] = found;
        return found;
    }

    private long ContextId(EventContext context)
    {
        if (_contexts.TryGetValue(context, out var id))
        {
            return id;
        }

        var values = new object[]
        {
            Intern(context.Version), Intern(context.Os), Intern(context.OsVersion), Intern(context.Arch), Intern(context.Runtime),
            Intern(context.Ci), Intern(context.Host),
            (context.Container ? SqliteSchema.ContainerFlag : 0) | (context.Wsl ? SqliteSchema.WslFlag : 0) | (context.Interactive ? SqliteSchema.InteractiveFlag : 0),
            Intern(context.Country),
        };
        var find = Command("""
            SELECT id FROM contexts WHERE version = $version AND os = $os AND os_version = $osVersion AND arch = $arch
              AND runtime = $runtime AND ci = $ci AND host = $host AND flags = $flags AND country = $country
            """);
        SetContext(find, values);
        if (find.ExecuteScalar() is not long found)
        {
            var insert = Command("""
                INSERT INTO contexts(version, os, os_version, arch, runtime, ci, host, flags, country)
                VALUES ($version, $os, $osVersion, $arch, $runtime, $ci, $host, $flags, $country) RETURNING id
                """);
            SetContext(insert, values);
            found = (long)insert.ExecuteScalar()!;
        }

        if (_contexts.Count > MaxCacheEntries)
        {
            _contexts.Clear();
        }

        _contexts[context] = found;
        return found;

        static void SetContext(SqliteCommand cmd, object[] values)
        {
            string[] names = ["$version", "$os", "$osVersion", "$arch", "$runtime", "$ci", "$host", "$flags", "$country"];
            for (var i = 0; i < names.Length; i++)
            {
                cmd.Parameters[names[i]].Value = values[i];
            }
        }
    }

    // The install's row, created with the event's verifier when the install is new. The first verifier an install
    // is seen with is kept and never replaced: an install stored before verifiers existed (or by an older SDK)
    // takes the first one its owner's upgraded SDK sends, and a later different one, which only someone who
    // learnt the install ID could send, changes nothing.
    private long InstallId(long product, Guid install, byte[]? verifier)
    {
        if (_installs.TryGetValue((product, install), out var cached) && (cached.Verified || verifier is null))
        {
            return cached.Id;
        }

        var uid = install.ToByteArray();
        var find = Command("SELECT id, verifier IS NOT NULL FROM installs WHERE product = $product AND uid = $uid");
        find.Parameters["$product"].Value = product;
        find.Parameters["$uid"].Value = uid;
        long found;
        bool verified;
        using (var reader = find.ExecuteReader())
        {
            (found, verified) = reader.Read() ? (reader.GetInt64(0), reader.GetBoolean(1)) : (0L, false);
        }

        if (found == 0)
        {
            var insert = Command("INSERT INTO installs(product, uid, verifier) VALUES ($product, $uid, $verifier) RETURNING id");
            insert.Parameters["$product"].Value = product;
            insert.Parameters["$uid"].Value = uid;
            insert.Parameters["$verifier"].Value = (object?)verifier ?? DBNull.Value;
            found = (long)insert.ExecuteScalar()!;
            verified = verifier is not null;
        }
        else if (!verified && verifier is not null)
        {
            var update = Command("UPDATE installs SET verifier = $verifier WHERE id = $id AND verifier IS NULL");
            update.Parameters["$id"].Value = found;
            update.Parameters["$verifier"].Value = verifier;
            update.ExecuteNonQuery();
            verified = true;
        }

        if (_installs.Count > MaxCacheEntries)
        {
            _installs.Clear();
        }

        _installs[(product, install)] = (found, verified);
        return found;
    }
}
