using System.Security.Cryptography;
using Coliseum.Storage;

namespace Coliseum.Security;

/// <summary>Making keys: <c>cw_</c>, <c>cr_</c> or <c>ca_</c> and 40 hex digits (160 random bits).</summary>
public static class ApiKeys
{
    /// <summary>Characters of a key kept (and shown) to tell keys apart: the role marker and 8 hex digits.</summary>
    public const int PrefixLength = 11;

    public static string Marker(KeyRole role) => role switch
    {
        KeyRole.Write => "cw_",
        KeyRole.Read => "cr_",
        KeyRole.Admin => "ca_",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>A new random key and the row that stores it (its hash and prefix, never the key).</summary>
    public static (string Key, NewKey Row) Create(KeyRole role, string? name, string source, long now)
    {
        var key = Marker(role) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        return (key, new NewKey(name, role, KeyRing.Hash(key), key[..PrefixLength], source, now));
    }
}
