using System.Diagnostics;

namespace Coliseum.Tests.Infrastructure;

/// <summary>The <c>coliseum</c> command run as its own process, as an operator would run it.</summary>
internal static class ColiseumCli
{
    public static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(ChildServer.ColiseumDll());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // On the PostgreSQL backend, a data directory's database is its schema (TestBackend).
        if (Array.IndexOf(args, "--data-dir") is var at and >= 0 && at + 1 < args.Length && Directory.Exists(args[at + 1]))
        {
            foreach (var (key, value) in TestBackend.Environment(args[at + 1]))
            {
                info.Environment[key] = value;
            }
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
