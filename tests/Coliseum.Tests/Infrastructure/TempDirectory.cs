namespace Coliseum.Tests.Infrastructure;

public static class TempDirectory
{
    /// <summary>A new empty directory under the system temp folder (left behind for post-mortems; /tmp is cleaned by the OS).</summary>
    public static string Create(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), "coliseum-tests", $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}
