using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Coliseum.Storage;

namespace Coliseum.Security;

/// <summary>
/// The keys Coliseum accepts, held only as SHA-256 hashes: a key is looked up by its hash, so neither the key
/// nor a timing difference in comparing it ever leaves this class. Keys from settings are always accepted;
/// the database's keys are swapped in as one snapshot whenever <see cref="KeyRefresher"/> sees them change,
/// so a revocation reaches every process without a restart.
/// </summary>
public sealed class KeyRing
{
    /// <summary>Longer presented keys are refused without hashing (Coliseum's own keys are 43 characters).</summary>
    public const int MaxKeyLength = 256;

    private readonly FrozenDictionary<string, ApiKey> _configured;
    private FrozenDictionary<string, ApiKey> _keys;

    public KeyRing(KeyOptions configured, IReadOnlyList<StoredKey> stored, long version)
    {
        var keys = new Dictionary<string, ApiKey>(StringComparer.Ordinal);
        Add(keys, configured.Write, KeyRole.Write);
        Add(keys, configured.Read, KeyRole.Read);
        Add(keys, configured.Admin, KeyRole.Admin);
        _configured = keys.ToFrozenDictionary(StringComparer.Ordinal);
        _keys = Merge(stored);
        Version = version;
    }

    /// <summary>The database's key version this snapshot was read at.</summary>
    public long Version { get; private set; }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The valid key presented, or null for none, an unknown, revoked or over-long one.</summary>
    public ApiKey? Find(string? key) =>
        string.IsNullOrEmpty(key) || key.Length > MaxKeyLength ? null : Volatile.Read(ref _keys).GetValueOrDefault(Hash(key));

    public KeyRole? RoleOf(string? key) => Find(key)?.Role;

    /// <summary>Replaces the database's keys with <paramref name="stored"/>, read at <paramref name="version"/>.</summary>
    internal void Reload(IReadOnlyList<StoredKey> stored, long version)
    {
        Volatile.Write(ref _keys, Merge(stored));
        Version = version;
    }

    /// <summary>Valid stored keys plus the configured ones; a configured key wins over a stored row with the same hash.</summary>
    private FrozenDictionary<string, ApiKey> Merge(IReadOnlyList<StoredKey> stored)
    {
        var keys = new Dictionary<string, ApiKey>(_configured, StringComparer.Ordinal);
        foreach (var key in stored)
        {
            if (key.RevokedAt is null)
            {
                keys.TryAdd(key.Sha256, new ApiKey(key.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), key.Role));
            }
        }
        return keys.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static void Add(Dictionary<string, ApiKey> keys, List<string> configured, KeyRole role)
    {
        for (var i = 0; i < configured.Count; i++)
        {
            keys[Hash(configured[i])] = new ApiKey($"settings:{role.ToString().ToLowerInvariant()}:{i}", role);
        }
    }
}

/// <summary>A key that was found valid: its role, and an id (the table's, or <c>settings:write:0</c>) that names it without revealing it.</summary>
public sealed record ApiKey(string Id, KeyRole Role);
