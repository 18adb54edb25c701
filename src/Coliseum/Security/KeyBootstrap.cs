using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Coliseum.Security;

/// <summary>
/// Where keys come from. Configured keys win. With none configured, the first <c>serve</c> makes one key
/// of each role, prints them once, and saves only their hashes to <c>{DataDirectory}/keys.json</c>; later
/// starts load the hashes. Delete the file to be given new keys.
/// </summary>
public static partial class KeyBootstrap
{
    public const string FileName = "keys.json";

    public static KeyRing Load(KeyOptions configured, string dataDirectory, Action<string> announce)
    {
        if (configured.Any)
        {
            return KeyRing.FromKeys(configured);
        }
        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            var stored = JsonSerializer.Deserialize(File.ReadAllBytes(path), KeyFileJsonContext.Default.KeyFile)
                ?? throw new InvalidOperationException($"{path} is empty; delete it to generate new keys");
            return new KeyRing(stored.Keys.ToDictionary(k => k.Sha256, k => k.Role, StringComparer.Ordinal));
        }

        var write = NewKey("cw");
        var read = NewKey("cr");
        var admin = NewKey("ca");
        var file = new KeyFile([
            new StoredKey(KeyRole.Write, KeyRing.Hash(write), DateTimeOffset.UtcNow),
            new StoredKey(KeyRole.Read, KeyRing.Hash(read), DateTimeOffset.UtcNow),
            new StoredKey(KeyRole.Admin, KeyRing.Hash(admin), DateTimeOffset.UtcNow),
        ]);
        Directory.CreateDirectory(dataDirectory);
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(file, KeyFileJsonContext.Default.KeyFile));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.Move(temp, path, overwrite: false);
        announce($"""

            No keys were configured, so Coliseum made one of each. They are shown this once; only their
            hashes are kept (in {path}). Delete that file to be given new ones.

              write key  {write}
              read key   {read}
              admin key  {admin}

            """);
        return new KeyRing(file.Keys.ToDictionary(k => k.Sha256, k => k.Role, StringComparer.Ordinal));
    }

    private static string NewKey(string prefix) => $"{prefix}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20))}";

    internal sealed record KeyFile(IReadOnlyList<StoredKey> Keys);

    internal sealed record StoredKey(KeyRole Role, string Sha256, DateTimeOffset CreatedAt);

    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, UseStringEnumConverter = true)]
    [JsonSerializable(typeof(KeyFile))]
    internal sealed partial class KeyFileJsonContext : JsonSerializerContext;
}
