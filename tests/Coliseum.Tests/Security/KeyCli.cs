using System.Net;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Security;

/// <summary><c>coliseum keys …</c> run as its own process, as an operator would run it beside a server.</summary>
internal static class KeyCli
{
    public static Task<(int Exit, string Output, string Error)> RunAsync(params string[] args) => ColiseumCli.RunAsync(args);

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
