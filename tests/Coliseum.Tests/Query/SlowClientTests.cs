using System.Net;
using System.Net.Sockets;
using System.Text;
using Coliseum.Query;
using Coliseum.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Coliseum.Tests.Query;

/// <summary>A stream client that stops reading is dropped, not buffered for: the server's memory and its other clients are unaffected.</summary>
public sealed class SlowClientTests
{
    [Fact]
    public async Task A_passport_subscriber_that_never_reads_is_disconnected_and_its_stream_place_freed()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Coliseum:Processing:Enabled"] = "false", ["Coliseum:Query:StreamWriteTimeoutSeconds"] = "2" });
        // About 8 MB of stream: more than the socket buffers on both sides can hold.
        var events = Enumerable.Range(0, 24_000).Select(i =>
            $$"""{"type":"player.track_played","userId":"u{{i % 500}}","at":"2026-11-20T10:00:00Z","trackId":"t{{i}}","artistId":"a{{i % 40}}","durationSeconds":{{30 + (i % 200)}},"source":"a-long-enough-field-to-make-each-entry-bigger-{{i}}"}""").ToArray();
        foreach (var chunk in events.Chunk(2_000))
        {
            using var response = await server.PostAsync("/api/passport/batch", "{\"events\":[" + string.Join(",", chunk) + "]}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var gate = server.Services.GetRequiredService<StreamGate>();

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(server.Address.Host, server.Address.Port);
        var request = $"GET /api/passport/stream?from=0 HTTP/1.1\r\nHost: {server.Address.Authority}\r\nAuthorization: Bearer {TestServer.AdminKey}\r\nAccept: text/event-stream\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (gate.Open == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the stream never started");
            await Task.Delay(50);
        }
        // Never read: once the socket buffers are full, an update waits more than 2 s to be written and the client is dropped.
        deadline = DateTime.UtcNow.AddSeconds(60);
        while (gate.Open > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "a client that stopped reading was still being served after 60 s");
            await Task.Delay(200);
        }

        // Other clients are served as before.
        var (status, _) = await QueryClient.GetAsync(server, "/api/coliseum/leaderboards");
        Assert.Equal(HttpStatusCode.OK, status);
    }
}
