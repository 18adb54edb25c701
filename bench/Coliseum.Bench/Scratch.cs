namespace Coliseum.Bench;

/// <summary>The bench's scratch space under /tmp/coliseum-bench, and its progress lines on stderr.</summary>
internal static class Scratch
{
    public static string Root => Path.Combine(Path.GetTempPath(), "coliseum-bench");

    /// <summary>A fresh directory for one store or server.</summary>
    public static string Directory(string name)
    {
        var path = Path.Combine(Root, $"{name}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes the databases this run made (hundreds of MB each).</summary>
    public static void CleanUp()
    {
        if (System.IO.Directory.Exists(Root))
        {
            System.IO.Directory.Delete(Root, recursive: true);
        }
    }

    public static void Progress(string message) => Console.Error.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {message}");
}
