using System.Text.Json;
using System.Text.Json.Serialization;
using Coliseum.Storage;

namespace Coliseum.Security;

/// <summary>
/// The keys a starting server accepts: those in settings, plus the database's (<c>coliseum_keys</c>).
/// Without keys in settings, a <c>keys.json</c> left by an earlier version is imported (its hashes; the file
/// stays and is no longer written), and when the database has never held a key the first start makes one of
/// each role, prints them once and stores only their hashes.
/// </summary>
public static partial class KeyBootstrap
{
    /// <summary>Where versions before the keys table kept the hashes of generated keys.</summary>
    public const string LegacyFileName = "keys.json";

    public static async Task<KeyRing> LoadAsync(KeyOptions configured, IKeyStore store, string dataDirectory, TimeProvider time, Action<string> announce, CancellationToken cancellationToken)
    {
        if (!configured.Any)
        {
            await ImportLegacyAsync(store, Path.Combine(dataDirectory, LegacyFileName), cancellationToken);
            await GenerateIfEmptyAsync(store, time, announce, cancellationToken);
        }
        // The version first: a change between the two reads is then seen again by the next refresh.
        var version = await store.VersionAsync(cancellationToken);
        return new KeyRing(configured, await store.ListAsync(cancellationToken), version);
    }

    private static async Task ImportLegacyAsync(IKeyStore store, string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return;
        }
        var file = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(path, cancellationToken), LegacyJsonContext.Default.LegacyFile)
            ?? throw new InvalidOperationException($"{path} is empty; delete it (its keys were only ever kept there as hashes)");
        // Idempotent by hash: a key imported once and revoked since stays revoked.
        await store.ImportAsync([.. file.Keys.Select(k => new NewKey("from keys.json", k.Role, k.Sha256, ApiKeys.Marker(k.Role), LegacyFileName, k.CreatedAt.ToUnixTimeMilliseconds()))],
            cancellationToken);
    }

    private static async Task GenerateIfEmptyAsync(IKeyStore store, TimeProvider time, Action<string> announce, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var write = ApiKeys.Create(KeyRole.Write, "first start", "generated", now);
        var read = ApiKeys.Create(KeyRole.Read, "first start", "generated", now);
        var admin = ApiKeys.Create(KeyRole.Admin, "first start", "generated", now);
        if (!await store.AddIfEmptyAsync([write.Row, read.Row, admin.Row], cancellationToken))
        {
            return;
        }
        announce($"""

            No keys were configured, so Coliseum made one of each. They are shown this once; only their
            hashes are kept (in the database). Make more with `coliseum keys create`, see them with
            `coliseum keys list`, and revoke one with `coliseum keys revoke`.

              write key  {write.Key}
              read key   {read.Key}
              admin key  {admin.Key}

            """);
    }

    internal sealed record LegacyFile(IReadOnlyList<LegacyKey> Keys);

    internal sealed record LegacyKey(KeyRole Role, string Sha256, DateTimeOffset CreatedAt);

    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
    [JsonSerializable(typeof(LegacyFile))]
    internal sealed partial class LegacyJsonContext : JsonSerializerContext;
}
