using System.Net;
using System.Threading.Channels;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Query;

namespace Coliseum.Tests.Security;

/// <summary>A revoked key loses its open live streams too, not only its next request.</summary>
public sealed class RevokedStreamTests
{
    [Theory]
    [InlineData("/api/coliseum/stream/counters")]
    [InlineData("/api/coliseum/stream/ticker")]
    [InlineData("/api/coliseum/stream/leaderboards/top_artists_by_plays")]
    public async Task An_open_stream_ends_once_its_key_is_revoked(string path)
    {
        // Heartbeats every second, so an idle stream checks its key that often.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Coliseum:Query:HeartbeatSeconds"] = "1" });
        var created = await KeyCli.RunAsync("keys", "create", "--role", "read", "--name", "lobby screen", "--data-dir", server.DataDirectory);
        Assert.True(created.Exit == 0, created.Error);
        var key = created.Output.Trim();
        await KeyCli.UntilAsync(server, "/api/coliseum/counters", key, HttpStatusCode.OK);

        await using var stream = await SseClient.OpenAsync(server, path, key);
        await stream.NextItemAsync();
        var revoked = await KeyCli.RunAsync("keys", "revoke", key[..11] + "…", "--data-dir", server.DataDirectory);
        Assert.True(revoked.Exit == 0, revoked.Error);

        // The server ends the stream: the reader sees its end, not one more heartbeat after a generous wait.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var ended = false;
        while (!ended && DateTime.UtcNow < deadline)
        {
            try
            {
                await stream.NextItemAsync(seconds: 30);
            }
            catch (ChannelClosedException)
            {
                ended = true;
            }
        }
        Assert.True(ended, $"{path} kept streaming to a revoked key for 30 s");
        using var again = await server.SendAsync(HttpMethod.Get, path, key);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }
}
