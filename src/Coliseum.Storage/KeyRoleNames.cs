using Coliseum.Security;

namespace Coliseum.Storage;

/// <summary>How a <see cref="KeyRole"/> is spelled in <c>coliseum_keys.role</c>, the same on every backend.</summary>
internal static class KeyRoleNames
{
    public static string Name(KeyRole role) => role switch
    {
        KeyRole.Write => "write",
        KeyRole.Read => "read",
        KeyRole.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static KeyRole Parse(string role) => role switch
    {
        "write" => KeyRole.Write,
        "read" => KeyRole.Read,
        "admin" => KeyRole.Admin,
        _ => throw new InvalidOperationException($"coliseum_keys holds an unknown role '{role}'"),
    };
}
