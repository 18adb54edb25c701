using System.Diagnostics;

namespace Coliseum.Bench;

/// <summary>
/// The bench's scratch space: one directory per run under /tmp/coliseum-bench (<c>run-&lt;pid&gt;</c>), so
/// two benches on one machine never delete each other's databases. Progress lines go to stderr.
/// </summary>
internal static class Scratch
{
    public static string Root => Path.Combine(Path.GetTempPath(), "coliseum-bench");

    private static string Run => Path.Combine(Root, $"run-{Environment.ProcessId}");

    /// <summary>A fresh directory for one store or server.</summary>
    public static string Directory(string name)
    {
        var path = Path.Combine(Run, $"{name}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes this run's databases (hundreds of MB each) and those left by runs that are gone.</summary>
    public static void CleanUp()
    {
        if (!System.IO.Directory.Exists(Root))
        {
            return;
        }
        foreach (var directory in System.IO.Directory.GetDirectories(Root, "run-*"))
        {
            if (int.TryParse(Path.GetFileName(directory).AsSpan(4), out var pid) && (pid == Environment.ProcessId || !Alive(pid)))
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public static void Progress(string message) => Console.Error.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {message}");
}
