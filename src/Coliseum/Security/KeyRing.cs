using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;

namespace Coliseum.Security;

/// <summary>
/// The keys Coliseum accepts, held only as SHA-256 hashes: a key is looked up by its hash, so neither
/// the key nor a timing difference in comparing it ever leaves this class.
/// </summary>
public sealed class KeyRing(IReadOnlyDictionary<string, KeyRole> hashes)
{
    private readonly FrozenDictionary<string, KeyRole> _hashes = hashes.ToFrozenDictionary(StringComparer.Ordinal);

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static KeyRing FromKeys(KeyOptions options)
    {
        var hashes = new Dictionary<string, KeyRole>(StringComparer.Ordinal);
        foreach (var key in options.Write) { hashes[Hash(key)] = KeyRole.Write; }
        foreach (var key in options.Read) { hashes[Hash(key)] = KeyRole.Read; }
        foreach (var key in options.Admin) { hashes[Hash(key)] = KeyRole.Admin; }
        return new KeyRing(hashes);
    }

    public KeyRole? RoleOf(string? key) =>
        string.IsNullOrEmpty(key) || key.Length > 256 ? null : _hashes.TryGetValue(Hash(key), out var role) ? role : null;
}
