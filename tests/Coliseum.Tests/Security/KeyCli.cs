using System.Diagnostics;
using System.Net;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Security;

/// <summary><c>coliseum keys …</c> run as its own process, as an operator would run it beside a server.</summary>
internal static class KeyCli
{
    public static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(ChildServer.ColiseumDll());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Sends GET <paramref name="path"/> with <paramref name="key"/> until it answers <paramref name="expected"/>; fails after a generous deadline.</summary>
    public static async Task UntilAsync(TestServer server, string path, string key, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode last;
        do
        {
            using var response = await server.SendAsync(HttpMethod.Get, path, key);
            last = response.StatusCode;
            if (last == expected)
            {
                return;
            }
            await Task.Delay(25);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"GET {path} still answered {(int)last}, not {(int)expected}, after 30 s");
    }
}
