using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Coliseum.Bench;

/// <summary>
/// How long after capture acknowledges an event it shows on a leaderboard: a probe event every 200 ms,
/// each scoring higher than the last on a board of its own, timed from its 2xx until it is rank 1 in
/// <c>coliseum_leaderboards</c>. Measured with steady background capture of the realistic mix, and on
/// the idle server as the baseline, in the same run; plus the same background capture against a server
/// with processing turned off, to show what capture alone achieves at that rate.
/// </summary>
internal static class FreshnessBenchmark
{
    private const int PerBatch = 50;
    private const int PoolBodies = 2_000;
    private const int ReferenceSeconds = 10;

    public static async Task<JsonObject> RunAsync(BenchOptions options)
    {
        var seconds = options.Seconds ?? 60;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var catalogue = new MusicCatalogue(options.Seed, now - (30L * 86_400_000), 30L * 86_400_000);
        var workload = new MusicWorkload(catalogue, options.Seed);
        var announcements = workload.Announcements(now).ToArray();
        Scratch.Progress($"generating {PoolBodies * PerBatch:N0} events of the mix in bodies of {PerBatch}");
        var bodies = Enumerable.Range(0, PoolBodies).Select(_ => workload.LiveBatch(PerBatch)).ToArray();

        var captureOnly = await CaptureOnlyAsync(bodies, options);

        var directory = Scratch.Directory("freshness");
        var board = $"Coliseum__Processing__Leaderboards__{Probes.Board}__";
        var environment = new Dictionary<string, string>
        {
            [board + "Title"] = "Bench probe",
            [board + "Metrics__0"] = Probes.EventType,
            [board + "Score"] = "sum",
            [board + "Entity"] = "user",
        };
        await using var server = await ServerProcess.StartAsync(directory, environment);
        using var client = LoadClient(server, options);
        using var probes = new Probes(server.Address, Path.Combine(directory, "coliseum.db"));

        // The world the mix refers to: live events, bookings and artist names.
        foreach (var chunk in announcements.Chunk(500))
        {
            await PostAnnouncementsAsync(client, chunk);
        }

        Scratch.Progress($"warm-up: {options.WarmupSeconds} s at {options.Rate:N0} events/s with probes");
        var warm = BackgroundLoad.Start(client, bodies, PerBatch, options.Rate, options.Connections);
        await probes.RunAsync(TimeSpan.FromSeconds(options.WarmupSeconds));
        var warmLoad = await warm.StopAsync(options.Rate);
        await warm.DisposeAsync();
        await ServerStatus.WaitForCatchUpAsync(server.Address);

        Scratch.Progress($"baseline: probes on the idle server for {options.BaselineSeconds} s");
        var idle = await probes.RunAsync(TimeSpan.FromSeconds(options.BaselineSeconds));

        Scratch.Progress($"measuring: {seconds} s at {options.Rate:N0} events/s with probes");
        var load = BackgroundLoad.Start(client, bodies, PerBatch, options.Rate, options.Connections);
        var lag = new LagSampler(server.Address);
        var loaded = await probes.RunAsync(TimeSpan.FromSeconds(seconds));
        var achieved = await load.StopAsync(options.Rate);
        var lagSeen = await lag.StopAsync();
        var statusAtEnd = await ServerStatus.GetAsync(server.Address);
        var rss = await server.RssBytesAsync();
        await load.DisposeAsync();

        var p99 = loaded.Percentile(0.99);
        var achievedRate = achieved["achievedEventsPerSecond"]!.GetValue<double>();
        Scratch.Progress($"freshness: p50 {loaded.Percentile(0.5):N1} ms, p99 {p99:N1} ms at {achievedRate:N0} events/s; idle p50 {idle.Percentile(0.5):N1} ms, p99 {idle.Percentile(0.99):N1} ms");
        achieved["warmUp"] = warmLoad;
        return new JsonObject
        {
            ["readPath"] = "rank 1 of bench_probe/all_time read straight from the SQLite file's coliseum_leaderboards (read-only connection, polled every 2 ms): the query API for leaderboards does not exist yet",
            ["probe"] = $"one {Probes.EventType} event every 200 ms via POST /api/passport/log, amountCents growing so the newest probe ranks first; visibleAfterAck = first read showing it at rank 1 minus its 2xx; sentToVisible adds the capture round trip",
            ["board"] = new JsonObject { ["id"] = Probes.Board, ["metrics"] = Probes.EventType, ["score"] = "sum", ["entity"] = "user", ["window"] = "all_time" },
            ["idleBaseline"] = idle.Describe(),
            ["underLoad"] = loaded.Describe(),
            ["ratioToIdle"] = new JsonObject
            {
                ["sentToVisibleP50"] = Ratio(loaded.SentToVisible(0.5), idle.SentToVisible(0.5)),
                ["sentToVisibleP99"] = Ratio(loaded.SentToVisible(0.99), idle.SentToVisible(0.99)),
            },
            ["backgroundLoad"] = achieved,
            ["captureOnlyReference"] = captureOnly,
            ["consumerLagDuringLoad"] = lagSeen,
            ["statusAtEnd"] = statusAtEnd,
            ["serverRssMB"] = new JsonObject { ["atEnd"] = rss / 1_048_576, ["peak"] = server.PeakRssBytes / 1_048_576 },
            ["target"] = new JsonObject { ["p99Ms"] = 500, ["atEventsPerSecond"] = 5_000, ["met"] = p99 <= 500 && achievedRate >= 0.95 * 5_000 },
        };
    }

    /// <summary>The same background capture against a server with processing turned off (warmed up for 5 s first).</summary>
    private static async Task<JsonObject> CaptureOnlyAsync(byte[][] bodies, BenchOptions options)
    {
        Scratch.Progress($"reference: {ReferenceSeconds} s at {options.Rate:N0} events/s, processing off");
        await using var server = await ServerProcess.StartAsync(Scratch.Directory("capture-only"), new Dictionary<string, string> { ["Coliseum__Processing__Enabled"] = "false" });
        using var client = LoadClient(server, options);
        var warm = BackgroundLoad.Start(client, bodies, PerBatch, options.Rate, options.Connections);
        await Task.Delay(TimeSpan.FromSeconds(5));
        await warm.DisposeAsync();
        var load = BackgroundLoad.Start(client, bodies, PerBatch, options.Rate, options.Connections);
        await Task.Delay(TimeSpan.FromSeconds(ReferenceSeconds));
        var result = await load.StopAsync(options.Rate);
        await load.DisposeAsync();
        result["what"] = "the same paced batches, server with Coliseum__Processing__Enabled=false";
        return result;
    }

    private static HttpClient LoadClient(ServerProcess server, BenchOptions options)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Connections }) { BaseAddress = server.Address };
        client.DefaultRequestHeaders.Add("X-Coliseum-Key", ServerProcess.WriteKey);
        return client;
    }

    private static JsonValue? Ratio(double value, double baseline) =>
        double.IsFinite(value / baseline) ? JsonValue.Create(Math.Round(value / baseline, 2)) : null;

    internal static async Task PostAnnouncementsAsync(HttpClient client, Action<Utf8JsonWriter>[] events)
    {
        using var stream = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(stream, MusicWorkload.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("events");
            foreach (var write in events)
            {
                write(writer);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        using var content = new ByteArrayContent(stream.ToArray());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync("/api/passport/batch", content);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>A JSON body for one probe.</summary>
    public static byte[] ProbeBody(long seq) => Encoding.UTF8.GetBytes(
        $$"""{"type":"{{Probes.EventType}}","userId":"probe-{{seq}}","at":"{{DateTime.UtcNow:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}}","amountCents":{{seq + 1}}}""");
}
