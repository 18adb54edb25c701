namespace Coliseum.Tests.Infrastructure;

public static class TempDirectory
{
    /// <summary>A new empty directory under the system temp folder. Servers that made their own delete it when they stop.</summary>
    public static string Create(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), "coliseum-tests", $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}
