using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Coliseum.Bench;

/// <summary>
/// Reading the Coliseum under load. <c>reads</c>: leaderboard GETs driven by wrk at 32 connections while
/// capture runs at 2,000 events/s, beside two baselines in the same run (a key-checked endpoint that
/// reads no database, and the same board reads with capture idle). <c>fanout</c>: N subscribers to one
/// board's SSE stream, a probe event a second that puts a new entity at rank 1, and the time from each
/// probe's 2xx until each subscriber has it; baseline: the same with one subscriber.
/// </summary>
internal static class QueryBenchmark
{
    private const int PerBatch = 50;
    private const string BoardPath = "/api/coliseum/leaderboards/top_artists_by_plays?window=day&limit=10";

    public static async Task<JsonObject> RunReadsAsync(BenchOptions options)
    {
        var (server, client, bodies) = await StartLoadedAsync(options, "reads");
        await using var _ = server;
        using var __ = client;
        var connections = options.Readers;
        var seconds = options.Seconds ?? 20;
        var headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + ServerProcess.ReadKey };
        var board = new Uri(server.Address, BoardPath);
        var list = new Uri(server.Address, "/api/coliseum/leaderboards");

        Scratch.Progress("warm-up: 10 s of board reads");
        await Wrk.RunAsync(board, null, headers, connections, 2, 10);

        Scratch.Progress($"board reads, capture idle: {seconds} s at {connections} connections");
        var idle = await Wrk.RunAsync(board, null, headers, connections, 2, seconds);

        Scratch.Progress($"baseline under capture: GET /api/coliseum/leaderboards (key check + JSON, no database) for {seconds} s");
        var baselineLoad = BackgroundLoad.Start(client, bodies, PerBatch, options.CaptureRate, options.Connections);
        var baseline = await Wrk.RunAsync(list, null, headers, connections, 2, seconds);
        var baselineCapture = await baselineLoad.StopAsync(options.CaptureRate);
        await baselineLoad.DisposeAsync();
        await ServerStatus.WaitForCatchUpAsync(server.Address);

        Scratch.Progress($"board reads under capture at {options.CaptureRate:N0} events/s: {seconds} s");
        var load = BackgroundLoad.Start(client, bodies, PerBatch, options.CaptureRate, options.Connections);
        var loaded = await Wrk.RunAsync(board, null, headers, connections, 2, seconds);
        var capture = await load.StopAsync(options.CaptureRate);
        await load.DisposeAsync();
        var rss = await server.RssBytesAsync();
        var status = await ServerStatus.GetAsync(server.Address);

        Scratch.Progress($"board reads: {loaded.RequestsPerSecond:N0}/s p99 {loaded.P99Ms:N2} ms under capture; idle {idle.RequestsPerSecond:N0}/s p99 {idle.P99Ms:N2} ms; baseline {baseline.RequestsPerSecond:N0}/s");
        var achieved = capture["achievedEventsPerSecond"]!.GetValue<double>();
        return new JsonObject
        {
            ["what"] = $"wrk GET {BoardPath} (read key), {connections} connections, 2 threads, on the same 2 cores as the server",
            ["underCapture"] = Describe(loaded),
            ["captureDuringReads"] = capture,
            ["captureConnections"] = options.Connections,
            ["baselineNoDatabaseUnderCapture"] = Describe(baseline),
            ["captureDuringBaseline"] = baselineCapture,
            ["captureIdle"] = Describe(idle),
            ["ratios"] = new JsonObject
            {
                ["rpsUnderCaptureToNoDatabaseBaseline"] = Math.Round(loaded.RequestsPerSecond / baseline.RequestsPerSecond, 2),
                ["rpsUnderCaptureToIdle"] = Math.Round(loaded.RequestsPerSecond / idle.RequestsPerSecond, 2),
            },
            ["statusAtEnd"] = status,
            ["serverRssMB"] = new JsonObject { ["atEnd"] = rss / 1_048_576, ["peak"] = server.PeakRssBytes / 1_048_576 },
            ["target"] = new JsonObject
            {
                ["requestsPerSecond"] = 10_000, ["p99Ms"] = 10, ["captureEventsPerSecond"] = options.CaptureRate,
                ["met"] = loaded.RequestsPerSecond >= 10_000 && loaded.P99Ms <= 10 && achieved >= 0.95 * options.CaptureRate,
            },
        };
    }

    public static async Task<JsonObject> RunFanoutAsync(BenchOptions options)
    {
        var environment = new Dictionary<string, string>
        {
            [$"Coliseum__Processing__Leaderboards__{Probes.Board}__Title"] = "Bench probe",
            [$"Coliseum__Processing__Leaderboards__{Probes.Board}__Metrics__0"] = Probes.EventType,
            [$"Coliseum__Processing__Leaderboards__{Probes.Board}__Score"] = "sum",
            [$"Coliseum__Processing__Leaderboards__{Probes.Board}__Entity"] = "user",
        };
        await using var server = await ServerProcess.StartAsync(Scratch.Directory("fanout"), environment);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.Subscribers + 16, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var client = new HttpClient(handler) { BaseAddress = server.Address, Timeout = Timeout.InfiniteTimeSpan };
        var seconds = options.Seconds ?? 30;
        var seq = 0L;
        var rssIdle = await server.RssBytesAsync();

        Scratch.Progress($"baseline: 1 subscriber, a probe a second for {seconds / 2} s");
        var single = await MeasureAsync(client, 1, seconds / 2, () => seq++);
        Scratch.Progress($"{options.Subscribers:N0} subscribers, a probe a second for {seconds} s");
        var many = await MeasureAsync(client, options.Subscribers, seconds, () => seq++, server);
        var p99 = Percentile(many.Latencies, 0.99);
        Scratch.Progress($"fan-out: p50 {Percentile(many.Latencies, 0.5):N1} ms, p99 {p99:N1} ms to {options.Subscribers:N0} subscribers; 1 subscriber p99 {Percentile(single.Latencies, 0.99):N1} ms; missed {many.Missed}");
        return new JsonObject
        {
            ["what"] = $"{options.Subscribers} SSE subscribers to /api/coliseum/stream/leaderboards/{Probes.Board}?limit=1; a {Probes.EventType} probe each second scoring above the last; latency = probe's 2xx until a subscriber receives the board with it at rank 1",
            ["oneSubscriberBaseline"] = single.Describe(),
            ["manySubscribers"] = many.Describe(),
            ["ratioP99"] = Math.Round(p99 / Percentile(single.Latencies, 0.99), 2),
            ["serverRssMB"] = new JsonObject { ["beforeSubscribers"] = rssIdle / 1_048_576, ["withSubscribers"] = many.RssBytes / 1_048_576, ["peak"] = server.PeakRssBytes / 1_048_576 },
            ["target"] = new JsonObject { ["subscribers"] = 1_000, ["p99Ms"] = 1_000, ["met"] = options.Subscribers >= 1_000 && p99 <= 1_000 && many.Missed == 0 },
        };
    }

    private sealed class FanoutResult
    {
        public List<double> Latencies { get; } = [];
        public int Subscribers { get; init; }
        public int Probes { get; set; }
        public long Missed { get; set; }
        public long RssBytes { get; set; }
        public double ConnectSeconds { get; set; }

        public JsonObject Describe() => new()
        {
            ["subscribers"] = Subscribers,
            ["probes"] = Probes,
            ["deliveries"] = Latencies.Count,
            ["missed"] = Missed,
            ["connectAllSeconds"] = Math.Round(ConnectSeconds, 2),
            ["latencyMs"] = new JsonObject
            {
                ["p50"] = Math.Round(Percentile(Latencies, 0.5), 1),
                ["p90"] = Math.Round(Percentile(Latencies, 0.9), 1),
                ["p99"] = Math.Round(Percentile(Latencies, 0.99), 1),
                ["max"] = Latencies.Count == 0 ? null : Math.Round(Latencies.Max(), 1),
            },
        };
    }

    private static async Task<FanoutResult> MeasureAsync(HttpClient client, int subscribers, int seconds, Func<long> nextSeq, ServerProcess? server = null)
    {
        var result = new FanoutResult { Subscribers = subscribers };
        var acks = new System.Collections.Concurrent.ConcurrentDictionary<long, long>();
        var seen = new System.Collections.Concurrent.ConcurrentBag<(long Seq, long At)>();
        using var stop = new CancellationTokenSource();
        var ready = 0;
        var started = Stopwatch.GetTimestamp();
        var readers = Enumerable.Range(0, subscribers).Select(_ => Task.Run(() => SubscribeAsync(client, seen, () => Interlocked.Increment(ref ready), stop.Token))).ToArray();
        while (Volatile.Read(ref ready) < subscribers)
        {
            if (readers.FirstOrDefault(r => r.IsFaulted) is { } failed)
            {
                throw new InvalidOperationException("a subscriber failed to connect", failed.Exception);
            }
            await Task.Delay(50);
        }
        result.ConnectSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await Task.Delay(1_000);
        var probes = new List<long>();
        for (var i = 0; i < seconds; i++)
        {
            var seq = nextSeq();
            using var content = new ByteArrayContent(FreshnessBenchmark.ProbeBody(seq));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/passport/log") { Content = content };
            request.Headers.Add("X-Coliseum-Key", ServerProcess.WriteKey);
            using var response = await client.SendAsync(request);
            response.EnsureSuccessStatusCode();
            acks[seq] = Stopwatch.GetTimestamp();
            probes.Add(seq);
            await Task.Delay(1_000);
        }
        await Task.Delay(2_000);
        if (server is not null)
        {
            result.RssBytes = await server.RssBytesAsync();
        }
        await stop.CancelAsync();
        await Task.WhenAll(readers.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
        result.Probes = probes.Count;
        var bySeq = seen.GroupBy(s => s.Seq).ToDictionary(g => g.Key, g => g.Select(s => s.At).ToList());
        foreach (var seq in probes)
        {
            var times = bySeq.GetValueOrDefault(seq) ?? [];
            result.Missed += subscribers - times.Count;
            result.Latencies.AddRange(times.Select(t => Math.Max(0, Stopwatch.GetElapsedTime(acks[seq], t).TotalMilliseconds)));
        }
        return result;
    }

    /// <summary>One subscriber: reads the stream line by line and notes when each probe first shows at rank 1.</summary>
    private static async Task SubscribeAsync(HttpClient client, System.Collections.Concurrent.ConcurrentBag<(long Seq, long At)> seen, Action connected, CancellationToken stop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/coliseum/stream/leaderboards/{Probes.Board}?limit=1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServerProcess.ReadKey);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(stop);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var first = true;
        var last = -1L;
        try
        {
            while (await reader.ReadLineAsync(stop) is { } line)
            {
                if (!line.StartsWith("data: {\"leaderboardId\"", StringComparison.Ordinal))
                {
                    continue;
                }
                if (first)
                {
                    first = false;
                    connected();
                }
                var at = Stopwatch.GetTimestamp();
                using var document = JsonDocument.Parse(line.AsMemory(6));
                var entries = document.RootElement.GetProperty("entries");
                if (entries.GetArrayLength() > 0 && entries[0].GetProperty("entity_id").GetString() is { } id && id.StartsWith("probe-", StringComparison.Ordinal))
                {
                    var seq = long.Parse(id.AsSpan(6), System.Globalization.CultureInfo.InvariantCulture);
                    if (seq != last)
                    {
                        last = seq;
                        seen.Add((seq, at));
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<(ServerProcess Server, HttpClient Client, byte[][] Bodies)> StartLoadedAsync(BenchOptions options, string name)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var catalogue = new MusicCatalogue(options.Seed, now - (30L * 86_400_000), 30L * 86_400_000);
        var workload = new MusicWorkload(catalogue, options.Seed);
        var bodies = Enumerable.Range(0, 2_000).Select(_ => workload.LiveBatch(PerBatch)).ToArray();
        var server = await ServerProcess.StartAsync(Scratch.Directory(name));
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Math.Max(8, options.Connections) }) { BaseAddress = server.Address };
        client.DefaultRequestHeaders.Add("X-Coliseum-Key", ServerProcess.WriteKey);
        var events = options.Events ?? 100_000;
        Scratch.Progress($"loading {events:N0} events of the mix");
        foreach (var chunk in workload.Announcements(now).Chunk(500))
        {
            await FreshnessBenchmark.PostAnnouncementsAsync(client, chunk);
        }
        await Parallel.ForEachAsync(Enumerable.Range(0, events / PerBatch), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, cancellationToken) =>
        {
            using var content = new ByteArrayContent(bodies[i % bodies.Length]);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync("/api/passport/batch", content, cancellationToken);
            response.EnsureSuccessStatusCode();
        });
        await ServerStatus.WaitForCatchUpAsync(server.Address);
        return (server, client, bodies);
    }

    private static JsonObject Describe(Wrk.Result r) => new()
    {
        ["requestsPerSecond"] = Math.Round(r.RequestsPerSecond),
        ["p50Ms"] = Math.Round(r.P50Ms, 2),
        ["p99Ms"] = Math.Round(r.P99Ms, 2),
        ["requests"] = r.Requests,
        ["non2xx"] = r.Non2xx,
        ["socketErrors"] = r.SocketErrors,
    };

    private static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
