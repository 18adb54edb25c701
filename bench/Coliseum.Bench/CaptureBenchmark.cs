using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Capture;
using Coliseum.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Coliseum.Bench;

/// <summary>
/// Issue 2's capture figures, each beside a baseline measured in the same run:
/// batch capture over HTTP vs. appending the same rows straight into SQLite with the best batching;
/// single-event capture vs. a do-nothing Kestrel endpoint driven by the same load generator.
/// </summary>
internal static class CaptureBenchmark
{
    public static async Task<JsonObject> RunAsync(BenchOptions options)
    {
        var events = options.Events ?? 500_000;
        var result = new JsonObject();
        Scratch.Progress($"generating {events:N0} events in bodies of {options.PerBatch}");
        var bodies = Workload.Batches(events / options.PerBatch, options.PerBatch, seed: 42, options.RandomIds);
        var bytes = bodies.Sum(b => (long)b.Length);
        result["workload"] = new JsonObject
        {
            ["events"] = events,
            ["eventsPerRequest"] = options.PerBatch,
            ["averageEventBytes"] = Math.Round((double)bytes / events),
            ["messageIds"] = options.RandomIds ? "uuid-v4" : "uuid-v7",
        };

        result["sqliteDirect"] = await DirectAsync(bodies, options);
        result["httpBatch"] = await HttpBatchAsync(bodies, options);
        var direct = result["sqliteDirect"]!["bestEventsPerSecond"]!.GetValue<double>();
        var http = result["httpBatch"]!["eventsPerSecond"]!.GetValue<double>();
        result["httpBatch"]!["ratioToSqliteDirect"] = Math.Round(http / direct, 3);

        if (Wrk.Available)
        {
            result["single"] = await SingleAsync(options);
        }
        else
        {
            result["single"] = new JsonObject { ["skipped"] = "wrk is not installed (apt-get install wrk)" };
        }
        return result;
    }

    /// <summary>The same rows, validated up front, appended by the store itself in transactions of several sizes.</summary>
    private static async Task<JsonObject> DirectAsync(List<byte[]> bodies, BenchOptions options)
    {
        var records = Records(bodies, options.PerBatch);
        var runs = new JsonArray();
        double best = 0;
        foreach (var size in new[] { 500, 2_500, 8_192 })
        {
            var directory = Scratch.Directory($"direct-{size}");
            await using var store = new SqlitePassportStore(Path.Combine(directory, "coliseum.db"));
            await store.InitializeAsync(CancellationToken.None);
            var inserted = new bool[size];
            var started = Stopwatch.GetTimestamp();
            for (var offset = 0; offset < records.Count; offset += size)
            {
                var chunk = records.GetRange(offset, Math.Min(size, records.Count - offset));
                await store.AppendAsync(chunk, inserted, CancellationToken.None);
            }
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var rate = records.Count / seconds;
            best = Math.Max(best, rate);
            Scratch.Progress($"sqlite direct, {size} per transaction: {rate:N0} events/s");
            runs.Add(new JsonObject { ["eventsPerTransaction"] = size, ["eventsPerSecond"] = Math.Round(rate) });
        }
        return new JsonObject { ["runs"] = runs, ["bestEventsPerSecond"] = Math.Round(best) };
    }

    /// <summary>The bodies' events as capture stores them: validated by <see cref="EventValidator"/> as the batch endpoint does.</summary>
    internal static List<PassportRecord> Records(List<byte[]> bodies, int perBatch)
    {
        var validator = new EventValidator(new CaptureOptions());
        var records = new List<PassportRecord>(bodies.Count * perBatch);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var body in bodies)
        {
            using var doc = JsonDocument.Parse(body);
            foreach (var ev in doc.RootElement.GetProperty("events").EnumerateArray())
            {
                if (!validator.TryValidate(ev, now, "api", out var record, out var error))
                {
                    throw new InvalidOperationException(error.Message);
                }
                records.Add(record);
            }
        }
        return records;
    }

    private static async Task<JsonObject> HttpBatchAsync(List<byte[]> bodies, BenchOptions options)
    {
        await using var server = await ServerProcess.StartAsync(Scratch.Directory("http-batch"));
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.Connections };
        using var client = new HttpClient(handler) { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Add("X-Coliseum-Key", ServerProcess.WriteKey);

        // Warm up on bodies that are not counted: .NET's tiered JIT needs several seconds of traffic
        // before the hot paths run as optimised, PGO-guided code (a long-running server's steady state).
        var warm = Workload.Batches(options.WarmupEvents / options.PerBatch, options.PerBatch, seed: 7);
        var warmNext = -1;
        var warmStarted = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, options.Connections).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref warmNext)) < warm.Count)
            {
                await PostAsync(client, warm[i]);
            }
        }));
        Scratch.Progress($"http batch warm-up: {options.WarmupEvents:N0} events in {Stopwatch.GetElapsedTime(warmStarted).TotalSeconds:N1} s");
        var statsBefore = await server.CommitStatsAsync();

        var started = Stopwatch.GetTimestamp();
        var (accepted, retries) = await SendAllAsync(bodies, options.Connections, _ => client);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var rate = accepted / seconds;
        Scratch.Progress($"http batch: {rate:N0} events/s durable, peak RSS {server.PeakRssBytes / 1048576} MB");
        return new JsonObject
        {
            ["connections"] = options.Connections,
            ["eventsAccepted"] = accepted,
            ["seconds"] = Math.Round(seconds, 2),
            ["eventsPerSecond"] = Math.Round(rate),
            ["retriedAfter503"] = retries,
            ["serverPeakRssMB"] = server.PeakRssBytes / 1048576,
            ["server"] = Delta(await server.CommitStatsAsync(), statsBefore),
        };
    }

    internal static JsonObject Delta(JsonObject after, JsonObject before)
    {
        var commits = after["commits"]!.GetValue<double>() - before["commits"]!.GetValue<double>();
        var events = after["events"]!.GetValue<double>() - before["events"]!.GetValue<double>();
        return new JsonObject
        {
            ["commits"] = commits,
            ["averageEventsPerCommit"] = commits == 0 ? 0 : Math.Round(events / commits, 1),
            ["writerBusySeconds"] = Math.Round(after["writerBusySeconds"]!.GetValue<double>() - before["writerBusySeconds"]!.GetValue<double>(), 2),
        };
    }

    /// <summary>
    /// Sends every body once over <paramref name="connections"/> concurrent loops (loop k posts through
    /// <paramref name="clientFor"/>(k)), retrying a 503 after 50 ms; any other answer but 200 fails the run.
    /// </summary>
    internal static async Task<(long Accepted, long Retries)> SendAllAsync(IReadOnlyList<byte[]> bodies, int connections, Func<int, HttpClient> clientFor)
    {
        var next = -1;
        var accepted = 0L;
        var retries = 0L;
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async k =>
        {
            var client = clientFor(k);
            int i;
            while ((i = Interlocked.Increment(ref next)) < bodies.Count)
            {
                while (true)
                {
                    var (status, count) = await PostAsync(client, bodies[i]);
                    if (status == 503)
                    {
                        Interlocked.Increment(ref retries);
                        await Task.Delay(50);
                        continue;
                    }
                    if (status != 200)
                    {
                        throw new InvalidOperationException($"batch answered {status}");
                    }
                    Interlocked.Add(ref accepted, count);
                    break;
                }
            }
        }));
        return (accepted, retries);
    }

    internal static async Task<(int Status, int Accepted)> PostAsync(HttpClient client, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync("/api/passport/batch", content);
        if (!response.IsSuccessStatusCode)
        {
            return ((int)response.StatusCode, 0);
        }
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        return (200, doc.RootElement.GetProperty("accepted").GetInt32());
    }

    private static async Task<JsonObject> SingleAsync(BenchOptions options)
    {
        var body = Workload.Event(new Random(3), 0, messageId: null).ToJsonString();
        var seconds = options.Seconds ?? 10;
        var result = new JsonObject { ["connections"] = options.SingleConnections, ["seconds"] = seconds, ["eventBytes"] = body.Length };

        // Baseline: Kestrel reading the same body and answering 201, nothing else, same load generator.
        await using (var noop = await NoopServerAsync())
        {
            var url = new Uri(noop.Urls.First() + "/api/passport/log");
            await Wrk.RunAsync(url, body, new Dictionary<string, string>(), options.SingleConnections, 2, options.WarmupSeconds);
            var baseline = await Wrk.RunAsync(url, body, new Dictionary<string, string>(), options.SingleConnections, 2, seconds);
            Scratch.Progress($"kestrel no-op: {baseline.RequestsPerSecond:N0} req/s, p99 {baseline.P99Ms} ms");
            result["kestrelNoop"] = Describe(baseline);
        }

        await using var server = await ServerProcess.StartAsync(Scratch.Directory("http-single"));
        var headers = new Dictionary<string, string> { ["X-Coliseum-Key"] = ServerProcess.WriteKey };
        var target = new Uri(server.Address, "/api/passport/log");
        await Wrk.RunAsync(target, body, headers, options.SingleConnections, 2, options.WarmupSeconds);
        var statsBefore = await server.CommitStatsAsync();
        var coliseum = await Wrk.RunAsync(target, body, headers, options.SingleConnections, 2, seconds);
        Scratch.Progress($"coliseum single: {coliseum.RequestsPerSecond:N0} req/s, p99 {coliseum.P99Ms} ms, peak RSS {server.PeakRssBytes / 1048576} MB");
        var described = Describe(coliseum);
        described["serverPeakRssMB"] = server.PeakRssBytes / 1048576;
        described["server"] = Delta(await server.CommitStatsAsync(), statsBefore);
        described["ratioToKestrelNoop"] = Math.Round(coliseum.RequestsPerSecond / result["kestrelNoop"]!["requestsPerSecond"]!.GetValue<double>(), 3);
        result["coliseum"] = described;
        return result;
    }

    internal static JsonObject Describe(Wrk.Result r) => new()
    {
        ["requestsPerSecond"] = Math.Round(r.RequestsPerSecond),
        ["p50Ms"] = r.P50Ms,
        ["p99Ms"] = r.P99Ms,
        ["requests"] = r.Requests,
        ["non2xx"] = r.Non2xx,
        ["socketErrors"] = r.SocketErrors,
    };

    private static async Task<WebApplication> NoopServerAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/api/passport/log", async (HttpContext http) =>
        {
            var buffer = new byte[64 * 1024];
            while (await http.Request.Body.ReadAsync(buffer) > 0)
            {
            }
            http.Response.StatusCode = 201;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync("""{"ok":true}""");
        });
        await app.StartAsync();
        return app;
    }
}
