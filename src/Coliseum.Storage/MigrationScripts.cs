using System.Globalization;

namespace Coliseum.Storage;

/// <summary>The numbered scripts embedded under <c>Scripts/{Backend}/NNN_name.sql</c>, which each backend's migrations apply in order.</summary>
internal static class MigrationScripts
{
    /// <summary>(version, name) of every script under <paramref name="prefix"/>, by version.</summary>
    public static IReadOnlyList<(int Version, string Name)> List(string prefix) => typeof(MigrationScripts).Assembly
        .GetManifestResourceNames()
        .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
        .Select(n => n[prefix.Length..^4])
        .Select(n => (int.Parse(n[..n.IndexOf('_', StringComparison.Ordinal)], CultureInfo.InvariantCulture), n))
        .OrderBy(s => s.Item1)
        .ToArray();

    public static string Read(string prefix, string name)
    {
        using var stream = typeof(MigrationScripts).Assembly.GetManifestResourceStream(prefix + name + ".sql")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
