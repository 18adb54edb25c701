using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Durability;

/// <summary>
/// Invariant 1: a 2xx means the event is on disk. The server runs as its own process; the test records
/// every acknowledged messageId, kills the process mid-stream, restarts it on the same files and
/// counts.
/// </summary>
[Collection(nameof(ChildProcessCollection))]
public sealed class DurabilityTests
{
    [Fact]
    public async Task Every_acknowledged_event_survives_SIGKILL_exactly_once()
    {
        var data = TempDirectory.Create("sigkill");
        var acknowledged = new ConcurrentBag<string>();
        // Three lives: each time, the sender that sees the next 1,500 acknowledgements pulls the plug at
        // once while the other senders' requests are in flight. The instant right after an
        // acknowledgement is the one that would lose data if a 2xx were ever sent before its commit.
        for (var life = 1; life <= 3; life++)
        {
            await using var server = await ChildServer.StartAsync(data);
            using var stop = new CancellationTokenSource();
            var target = life * 1_500;
            var killed = 0;
            void AfterAck()
            {
                if (acknowledged.Count >= target && Interlocked.Exchange(ref killed, 1) == 0)
                {
                    server.Kill();
                }
            }
            var senders = Enumerable.Range(0, 12).Select(i => SendUntilStoppedAsync(server.Address, $"{life}.{i}", acknowledged, stop.Token, AfterAck)).ToArray();

            await WaitUntilAsync(() => Volatile.Read(ref killed) == 1, TimeSpan.FromSeconds(60));
            await server.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(senders);
        }

        await using var restarted = await ChildServer.StartAsync(data);
        var ids = acknowledged.ToHashSet();
        Assert.True(ids.Count >= 4_500, $"only {ids.Count} acknowledged");
        var stored = Sql.Column(restarted.DatabasePath, "SELECT message_id FROM passport_log");
        var storedSet = stored.ToHashSet();
        var missing = ids.Where(id => !storedSet.Contains(id)).Take(5).ToList();
        Assert.True(missing.Count == 0, $"acknowledged but lost: {string.Join(", ", missing)}");
        Assert.Equal(stored.Count, storedSet.Count);
    }

    [Fact]
    public async Task SIGTERM_drains_the_queue_and_loses_nothing_acknowledged()
    {
        var data = TempDirectory.Create("sigterm");
        var acknowledged = new ConcurrentBag<string>();
        await using (var server = await ChildServer.StartAsync(data))
        {
            using var stop = new CancellationTokenSource();
            var senders = Enumerable.Range(0, 12).Select(i => SendUntilStoppedAsync(server.Address, i.ToString(System.Globalization.CultureInfo.InvariantCulture), acknowledged, stop.Token)).ToArray();
            await WaitUntilAsync(() => acknowledged.Count >= 2_000, TimeSpan.FromSeconds(60));

            await server.TerminateAsync(TimeSpan.FromSeconds(30));
            await stop.CancelAsync();
            await Task.WhenAll(senders);
            Assert.Equal(0, server.ExitCode);
        }

        var stored = Sql.Column(TestBackend.Database(data), "SELECT message_id FROM passport_log").ToHashSet();
        var lost = acknowledged.Where(id => !stored.Contains(id)).Take(5).ToList();
        Assert.True(lost.Count == 0, $"acknowledged but lost: {string.Join(", ", lost)}");
    }

    [Fact]
    public async Task Message_id_delivered_again_after_a_restart_is_stored_once()
    {
        var data = TempDirectory.Create("restart-dup");
        var batch = Events.Batch(Events.TrackPlayed("restart-1"), Events.TrackPlayed("restart-2"));
        await using (var server = await ChildServer.StartAsync(data))
        {
            using var first = await Post(server.Client, "/api/passport/batch", batch);
            Assert.Contains("\"accepted\":2", await first.Content.ReadAsStringAsync());
            await server.KillAsync();
        }
        await using var restarted = await ChildServer.StartAsync(data);

        using var again = await Post(restarted.Client, "/api/passport/batch", batch);

        Assert.Equal("""{"accepted":0,"duplicates":2,"rejected":[]}""", await again.Content.ReadAsStringAsync());
        Assert.Equal(2, Sql.Scalar<long>(restarted.DatabasePath, "SELECT COUNT(*) FROM passport_entries"));
    }

    /// <summary>Alternates batches of 25 and single events, each with unique ids, recording every 2xx.</summary>
    private static async Task SendUntilStoppedAsync(Uri address, string sender, ConcurrentBag<string> acknowledged, CancellationToken stop, Action? afterAck = null)
    {
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            var ids = Enumerable.Range(0, n % 2 == 0 ? 25 : 1).Select(i => $"s{sender}-{n}-{i}").ToList();
            n++;
            try
            {
                using var response = ids.Count == 1
                    ? await Post(client, "/api/passport/log", Events.TrackPlayed(ids[0]).ToJsonString(), stop)
                    : await Post(client, "/api/passport/batch", Events.Batch(ids.Select(id => (JsonNode)Events.TrackPlayed(id)).ToArray()), stop);
                if (response.IsSuccessStatusCode)
                {
                    foreach (var id in ids)
                    {
                        acknowledged.Add(id);
                    }
                    afterAck?.Invoke();
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                // The server went away mid-request: not acknowledged, so nothing is promised.
                if (stop.IsCancellationRequested)
                {
                    return;
                }
                await Task.Delay(20, CancellationToken.None);
            }
        }
    }

    private static async Task<HttpResponseMessage> Post(HttpClient client, string path, string body, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Coliseum-Key", TestServer.WriteKey);
        return await client.SendAsync(request, cancellationToken);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not met in time");
            }
            await Task.Delay(10);
        }
    }
}

/// <summary>Tests that start server processes run one at a time: each wants the machine's two cores.</summary>
[CollectionDefinition(nameof(ChildProcessCollection), DisableParallelization = true)]
public sealed class ChildProcessCollection;
