using System.CommandLine;
using System.Globalization;
using Coliseum.Hosting;
using Coliseum.Security;
using Coliseum.Storage;
using Microsoft.Data.Sqlite;

namespace Coliseum.Cli;

/// <summary>
/// <c>coliseum keys create|list|revoke</c>, against the data directory's database. Safe while <c>serve</c>
/// runs on it (WAL): a running server picks up a new or revoked key within <c>Coliseum:Keys:RefreshMilliseconds</c>.
/// </summary>
internal static class KeyCommands
{
    public const int MaxNameLength = 100;

    public static Command Keys()
    {
        var dataDir = ProcessingCommands.DataDirOption();

        var role = new Option<string>("--role") { Description = "write (append events), read (read analytics) or admin (manage; may also read and write)", Required = true };
        role.AcceptOnlyFromAmong("write", "read", "admin");
        var name = new Option<string?>("--name") { Description = $"A label to recognise the key by (at most {MaxNameLength} characters)" };
        var create = new Command("create", "Make a key and print it, this once; only its hash is kept.") { role, name, dataDir };
        create.TreatUnmatchedTokensAsErrors = false;
        create.SetAction(async (parse, cancellationToken) =>
        {
            var store = await OpenAsync(parse.GetValue(dataDir), parse.UnmatchedTokens, cancellationToken);
            await using var _ = store.Store;
            return await CreateAsync(store.Keys, Enum.Parse<KeyRole>(parse.GetValue(role)!, ignoreCase: true), parse.GetValue(name), Console.Out, Console.Error, cancellationToken);
        });

        var list = new Command("list", "Show every key: id, name, role, prefix, source, created, revoked (never a key or its hash).") { dataDir };
        list.TreatUnmatchedTokensAsErrors = false;
        list.SetAction(async (parse, cancellationToken) =>
        {
            var store = await OpenAsync(parse.GetValue(dataDir), parse.UnmatchedTokens, cancellationToken);
            await using var _ = store.Store;
            await ListAsync(store.Keys, store.Configured, Console.Out, cancellationToken);
            return 0;
        });

        var which = new Argument<string>("key") { Description = "The key's id (from `coliseum keys list`) or its prefix as listed (cr_1a2b3c4d)" };
        var revoke = new Command("revoke", "Revoke a key; servers on this database refuse it within Coliseum:Keys:RefreshMilliseconds.") { which, dataDir };
        revoke.TreatUnmatchedTokensAsErrors = false;
        revoke.SetAction(async (parse, cancellationToken) =>
        {
            var store = await OpenAsync(parse.GetValue(dataDir), parse.UnmatchedTokens, cancellationToken);
            await using var _ = store.Store;
            return await RevokeAsync(store.Keys, parse.GetValue(which)!, Console.Out, Console.Error, cancellationToken);
        });

        return new Command("keys", "API keys kept (hashed) in the database.") { create, list, revoke };
    }

    /// <summary>Makes a key; writes the key alone on standard output (so <c>KEY=$(coliseum keys create …)</c> works) and the rest to standard error.</summary>
    public static async Task<int> CreateAsync(IKeyStore store, KeyRole role, string? name, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        name = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
        if (name is { Length: > MaxNameLength } || name?.Any(char.IsControl) == true)
        {
            await error.WriteLineAsync($"keys create: --name must be at most {MaxNameLength} printable characters");
            return 2;
        }
        var (key, row) = ApiKeys.Create(role, name, "cli", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var stored = await store.AddAsync(row, cancellationToken);
        await output.WriteLineAsync(key);
        await error.WriteLineAsync($"Created {Name(role)} key {stored.Id} ({stored.Prefix}…). It is shown this once: only its hash is kept.");
        return 0;
    }

    public static async Task ListAsync(IKeyStore store, int configured, TextWriter output, CancellationToken cancellationToken)
    {
        var keys = await store.ListAsync(cancellationToken);
        var rows = keys.Select(k => new[] { k.Id.ToString(CultureInfo.InvariantCulture), k.Name ?? "-", Name(k.Role), k.Prefix + "…", k.Source, Time(k.CreatedAt), k.RevokedAt is { } r ? Time(r) : "-" }).ToList();
        string[] header = ["ID", "NAME", "ROLE", "PREFIX", "SOURCE", "CREATED (UTC)", "REVOKED (UTC)"];
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        await output.WriteLineAsync(Line(header, widths));
        foreach (var row in rows)
        {
            await output.WriteLineAsync(Line(row, widths));
        }
        if (keys.Count == 0)
        {
            await output.WriteLineAsync("(no keys in the database)");
        }
        if (configured > 0)
        {
            await output.WriteLineAsync($"{configured} more key(s) come from settings (Coliseum:Keys:Write|Read|Admin); remove them there to revoke them.");
        }
    }

    public static async Task<int> RevokeAsync(IKeyStore store, string which, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        which = which.Trim().TrimEnd('…').TrimEnd('.');
        long id;
        if (long.TryParse(which, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            id = parsed;
        }
        else
        {
            var keys = await store.ListAsync(cancellationToken);
            // A whole key (from a leaked config, say) is matched by its hash; anything shorter by the listed prefix.
            var matches = which.Length > ApiKeys.PrefixLength
                ? keys.Where(k => k.Sha256 == KeyRing.Hash(which)).ToList()
                : keys.Where(k => which.Length >= 3 && k.Prefix.StartsWith(which, StringComparison.Ordinal)).ToList();
            if (matches.Count(k => k.RevokedAt is null) > 1)
            {
                await error.WriteLineAsync($"keys revoke: '{which}' matches keys {string.Join(", ", matches.Where(k => k.RevokedAt is null).Select(k => k.Id))}; give the id");
                return 2;
            }
            var match = matches.FirstOrDefault(k => k.RevokedAt is null) ?? matches.FirstOrDefault();
            if (match is null)
            {
                await error.WriteLineAsync($"keys revoke: no key has the id or prefix '{(which.Length > ApiKeys.PrefixLength ? which[..ApiKeys.PrefixLength] + "…" : which)}'; see `coliseum keys list`");
                return 1;
            }
            id = match.Id;
        }
        var before = (await store.ListAsync(cancellationToken)).FirstOrDefault(k => k.Id == id);
        var revoked = before is null ? null : await store.RevokeAsync(id, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), cancellationToken);
        if (revoked is null)
        {
            await error.WriteLineAsync($"keys revoke: no key has the id {id}; see `coliseum keys list`");
            return 1;
        }
        await output.WriteLineAsync(before!.RevokedAt is null
            ? $"Revoked {Name(revoked.Role)} key {revoked.Id} ({revoked.Prefix}…). Running servers refuse it within a second or two."
            : $"Key {revoked.Id} ({revoked.Prefix}…) was already revoked at {Time(revoked.RevokedAt!.Value)} UTC.");
        return 0;
    }

    /// <summary>
    /// The key table of the configured database, created or upgraded first when it has to be. The store
    /// (whose connections the PostgreSQL key table shares) stays open until the caller disposes it.
    /// </summary>
    private static async Task<(IKeyStore Keys, int Configured, IAsyncDisposable Store)> OpenAsync(string? dataDirectory, IEnumerable<string> settings, CancellationToken cancellationToken)
    {
        var configuration = StoreSession.Configuration(dataDirectory, settings);
        var options = ColiseumOptions.Read(configuration);
        var configured = configuration.GetSection(KeyOptions.Section).Get<KeyOptions>() ?? new KeyOptions();
        var directory = Path.GetFullPath(options.DataDirectory);
        var configuredCount = configured.Write.Count + configured.Read.Count + configured.Admin.Count;
        if (options.Storage.IsPostgres)
        {
            // Migrations on PostgreSQL take an advisory lock and skip what is applied: safe beside running servers.
            var postgres = await ColiseumApp.OpenStoreAsync(options, directory, cancellationToken);
            return (StorageSetup.KeyStore(postgres), configuredCount, postgres);
        }
        var store = StorageSetup.Open(options, directory);
        var keys = StorageSetup.KeyStore(store);
        if (!File.Exists(Path.Combine(directory, StorageSetup.SqliteFile)) || !await HasKeyTableAsync(keys, cancellationToken))
        {
            // A new data directory (keys made before the first start) or one from before the keys table: create or
            // migrate it the way serve would. Otherwise the store is left alone, as it may be serving.
            await store.InitializeAsync(cancellationToken);
        }
        return (keys, configuredCount, store);
    }

    private static async Task<bool> HasKeyTableAsync(IKeyStore keys, CancellationToken cancellationToken)
    {
        try
        {
            await keys.VersionAsync(cancellationToken);
            return true;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 1) // SQLITE_ERROR: no such table
        {
            return false;
        }
    }

    private static string Name(KeyRole role) => role.ToString().ToLowerInvariant();

    private static string Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
}
