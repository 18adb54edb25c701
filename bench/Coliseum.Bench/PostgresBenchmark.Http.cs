using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;

namespace Coliseum.Bench;

/// <summary>The parts that drive <c>coliseum serve</c> over HTTP: batch capture, single events, three processes.</summary>
internal static partial class PostgresBenchmark
{
    /// <summary>Capture only: the consumers would compete with capture for the database on both backends.</summary>
    private static Dictionary<string, string> SqliteEnvironment() => new() { ["Coliseum__Processing__Enabled"] = "false" };

    private static Dictionary<string, string> PostgresEnvironment(string connection, string schema) => new()
    {
        ["Coliseum__Storage__Provider"] = "postgres",
        ["ConnectionStrings__Coliseum"] = connection,
        ["Coliseum__Storage__Schema"] = schema,
        ["Coliseum__Processing__Enabled"] = "false",
    };

    /// <summary>How many times part 1 (c) alternates the COPY baseline with a capture run: this machine is shared, and a ratio needs both halves from the same minute.</summary>
    private const int BatchRounds = 3;

    /// <summary>
    /// Part 1 (c): one server on a fresh schema, warmed up, then <see cref="BatchRounds"/> rounds, each the same
    /// number of events as the baseline (round 1 the baseline's own bodies, later rounds fresh message ids), with
    /// <paramref name="copyIntoLog"/> measured before the first round and after every round. A round's ratio is its
    /// rate over the mean of the baselines on either side; the figure is the median round.
    /// </summary>
    private static async Task<JsonObject> HttpBatchAsync(string connection, List<byte[]> bodies, BenchOptions options, Func<Task<double>> copyIntoLog)
    {
        var schema = NewSchema("batch");
        try
        {
            await using var server = await ServerProcess.StartAsync(Scratch.Directory("pg-batch"), PostgresEnvironment(connection, schema));
            // Three times the usual warm-up: after 200,000 events perf still found the JIT's tiering thread on 13-22% of
            // the CPU through the measured run (2% after 600,000), and the figure is about the steady state.
            await WarmUpAsync([server], 3 * options.WarmupEvents, options);
            var rounds = new JsonArray();
            var before = await copyIntoLog();
            JsonObject? median = null;
            for (var round = 1; round <= BatchRounds; round++)
            {
                var roundBodies = round == 1 ? bodies : Workload.Batches(bodies.Count, options.PerBatch, seed: 42 + round);
                await CheckpointAsync(connection);
                var run = await DriveAsync([server], roundBodies, options.Connections);
                var after = await copyIntoLog();
                var rate = run["eventsPerSecond"]!.GetValue<double>();
                run["round"] = round;
                run["copyBefore"] = Math.Round(before);
                run["copyAfter"] = Math.Round(after);
                run["ratioToCopy"] = Math.Round(rate / ((before + after) / 2), 3);
                Scratch.Progress($"http batch on PostgreSQL, round {round}: {rate:N0} events/s; COPY into passport_log {before:N0} before, {after:N0} after; ratio {run["ratioToCopy"]}");
                rounds.Add(run);
                before = after;
            }
            median = rounds.Select(r => r!.AsObject()).OrderBy(r => r["ratioToCopy"]!.GetValue<double>()).ElementAt(BatchRounds / 2);
            var result = new JsonObject
            {
                ["what"] = $"{BatchRounds} rounds of the same number of events, each between two COPY baselines; the median round's figures",
                ["eventsPerSecond"] = median["eventsPerSecond"]!.GetValue<double>(),
                ["medianRatioToCopy"] = median["ratioToCopy"]!.GetValue<double>(),
                ["rounds"] = rounds,
                ["logHead"] = await HeadAsync(connection, schema),
                ["serverPeakRssMB"] = server.PeakRssBytes / 1048576,
            };
            return result;
        }
        finally
        {
            await DropSchemaAsync(connection, schema);
        }
    }

    /// <summary>
    /// Warm-up bodies not counted (fresh message ids), spread over the servers: .NET's tiered JIT needs several
    /// seconds of traffic before the hot paths run as optimised code.
    /// </summary>
    private static async Task WarmUpAsync(IReadOnlyList<ServerProcess> servers, int events, BenchOptions options)
    {
        var warm = Workload.Batches(events * servers.Count / options.PerBatch, options.PerBatch, seed: 7);
        var started = Stopwatch.GetTimestamp();
        await DriveAsync(servers, warm, Math.Max(options.Connections, servers.Count), collectStats: false);
        Scratch.Progress($"warm-up: {warm.Count * options.PerBatch:N0} events over {servers.Count} server(s) in {Stopwatch.GetElapsedTime(started).TotalSeconds:N1} s");
    }

    /// <summary>
    /// POSTs every body once over <paramref name="connections"/> connections, connection k to server k mod n,
    /// retrying after a 503 as a client would; with each server's commits from /metrics.
    /// </summary>
    private static async Task<JsonObject> DriveAsync(IReadOnlyList<ServerProcess> servers, List<byte[]> bodies, int connections, bool collectStats = true)
    {
        var handlers = servers.Select(_ => new SocketsHttpHandler { MaxConnectionsPerServer = connections }).ToArray();
        var clients = servers.Select((s, i) =>
        {
            var client = new HttpClient(handlers[i]) { BaseAddress = s.Address, Timeout = TimeSpan.FromMinutes(2) };
            client.DefaultRequestHeaders.Add("X-Coliseum-Key", ServerProcess.WriteKey);
            return client;
        }).ToArray();
        try
        {
            var before = collectStats ? await Task.WhenAll(servers.Select(s => s.CommitStatsAsync())) : [];
            var cpuServers = servers.Select(s => CpuTime.OfProcess(s.Pid)).ToArray();
            var cpuPostgres = CpuTime.OfPostgres(s_postmaster);
            var cpuBench = CpuTime.OfProcess(Environment.ProcessId);
            var started = Stopwatch.GetTimestamp();
            var (accepted, retries) = await CaptureBenchmark.SendAllAsync(bodies, connections, k => clients[k % clients.Length]);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var cpu = new JsonObject
            {
                ["note"] = "CPU seconds (user + system) during the run; 2 cores give at most twice the wall time, shared with everything else on the machine",
                ["wallSeconds"] = Math.Round(seconds, 2),
                ["coliseumServers"] = Math.Round(servers.Select((s, i) => CpuTime.OfProcess(s.Pid) - cpuServers[i]).Sum(), 2),
                ["postgres"] = Math.Round(CpuTime.PostgresBetween(cpuPostgres, CpuTime.OfPostgres(s_postmaster)), 2),
                ["benchClient"] = Math.Round(CpuTime.OfProcess(Environment.ProcessId) - cpuBench, 2),
            };
            var result = new JsonObject
            {
                ["servers"] = servers.Count,
                ["connections"] = connections,
                ["eventsAccepted"] = accepted,
                ["seconds"] = Math.Round(seconds, 2),
                ["eventsPerSecond"] = Math.Round(accepted / seconds),
                ["retriedAfter503"] = retries,
                ["cpuSeconds"] = cpu,
            };
            if (collectStats)
            {
                var commits = new JsonArray();
                for (var s = 0; s < servers.Count; s++)
                {
                    commits.Add(CaptureBenchmark.Delta(await servers[s].CommitStatsAsync(), before[s]));
                }
                result["serverCommits"] = commits;
            }
            return result;
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
            foreach (var handler in handlers)
            {
                handler.Dispose();
            }
        }
    }

    /// <summary>The log's head after a run: every accepted event is there, with no gap (positions come from the counter).</summary>
    private static async Task<long> HeadAsync(string connection, string schema)
    {
        await using var source = NpgsqlDataSource.Create(connection);
        await using var command = source.CreateCommand($"SELECT position FROM {schema}.passport_log_head");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Part 2: single events with wrk against a SQLite server and a PostgreSQL server, alternating rounds.</summary>
    private static async Task<JsonObject> SinglePartAsync(string connection, BenchOptions options)
    {
        if (!Wrk.Available)
        {
            return new JsonObject { ["skipped"] = "wrk is not installed (apt-get install wrk)" };
        }
        var body = Workload.Event(new Random(3), 0, messageId: null).ToJsonString();
        var seconds = options.Seconds ?? 10;
        var schema = NewSchema("single");
        try
        {
            await using var sqlite = await ServerProcess.StartAsync(Scratch.Directory("single-sqlite"), SqliteEnvironment());
            await using var postgres = await ServerProcess.StartAsync(Scratch.Directory("single-pg"), PostgresEnvironment(connection, schema));
            var backends = new[] { ("sqlite", sqlite), ("postgres", postgres) };
            var headers = new Dictionary<string, string> { ["X-Coliseum-Key"] = ServerProcess.WriteKey };
            // Both at once: warm-up is only there for the JIT, and this halves the part's time.
            await Task.WhenAll(backends.Select(b => Wrk.RunAsync(new Uri(b.Item2.Address, "/api/passport/log"), body, headers, options.SingleConnections, 2, options.WarmupSeconds)));
            Scratch.Progress($"single: both servers warmed up for {options.WarmupSeconds} s");
            await CheckpointAsync(connection);

            var rounds = backends.ToDictionary(b => b.Item1, _ => new JsonArray());
            var rates = backends.ToDictionary(b => b.Item1, _ => new List<double>());
            for (var round = 0; round < options.Rounds; round++)
            {
                foreach (var (name, server) in backends)
                {
                    var before = await server.CommitStatsAsync();
                    var run = await Wrk.RunAsync(new Uri(server.Address, "/api/passport/log"), body, headers, options.SingleConnections, 2, seconds);
                    var described = CaptureBenchmark.Describe(run);
                    described["server"] = CaptureBenchmark.Delta(await server.CommitStatsAsync(), before);
                    rounds[name].Add(described);
                    rates[name].Add(run.RequestsPerSecond);
                    Scratch.Progress($"single {name}, round {round + 1}: {run.RequestsPerSecond:N0} req/s, p50 {run.P50Ms} ms, p99 {run.P99Ms} ms");
                }
            }
            var result = new JsonObject
            {
                ["connections"] = options.SingleConnections,
                ["secondsPerRound"] = seconds,
                ["warmupSeconds"] = options.WarmupSeconds,
                ["warmup"] = "both servers at once, each with its own wrk",
                ["eventBytes"] = body.Length,
                ["note"] = "both servers run during the whole part (the idle one costs next to nothing); rounds alternate sqlite, postgres",
            };
            foreach (var (name, server) in backends)
            {
                result[name] = new JsonObject
                {
                    ["meanRequestsPerSecond"] = Math.Round(rates[name].Average()),
                    ["rounds"] = rounds[name],
                    ["serverPeakRssMB"] = server.PeakRssBytes / 1048576,
                };
            }
            result["ratioPostgresToSqlite"] = Math.Round(rates["postgres"].Average() / rates["sqlite"].Average(), 3);
            return result;
        }
        finally
        {
            await DropSchemaAsync(connection, schema);
        }
    }

    /// <summary>Part 4: three servers on one schema, load spread over them, vs. one server in the same run.</summary>
    private static async Task<JsonObject> ThreePartAsync(string connection, List<byte[]> bodies, BenchOptions options)
    {
        var result = new JsonObject { ["connectionsTotal"] = options.Connections, ["warmupEventsPerServer"] = options.WarmupEvents / 4 };
        foreach (var count in new[] { 1, 3 })
        {
            var schema = NewSchema($"three{count}");
            var servers = new List<ServerProcess>();
            try
            {
                try
                {
                    // One after another: each waits for /healthz; migrations take an advisory lock anyway.
                    for (var i = 0; i < count; i++)
                    {
                        servers.Add(await ServerProcess.StartAsync(Scratch.Directory($"three-{count}-{i}"), PostgresEnvironment(connection, schema)));
                    }
                    await WarmUpAsync(servers, options.WarmupEvents / 4, options);
                    await CheckpointAsync(connection);
                    var run = await DriveAsync(servers, bodies, options.Connections);
                    run["logHead"] = await HeadAsync(connection, schema);
                    run["serverPeakRssMB"] = new JsonArray([.. servers.Select(s => (JsonNode)(s.PeakRssBytes / 1048576))]);
                    result[count == 1 ? "oneProcess" : "threeProcesses"] = run;
                    Scratch.Progress($"{count} process(es) on one database: {run["eventsPerSecond"]} events/s");
                }
                catch (Exception ex) when (count == 3)
                {
                    Scratch.Progress($"three processes failed: {ex.Message}");
                    result["threeProcesses"] = new JsonObject { ["failed"] = ex.GetType().Name + ": " + ex.Message };
                }
            }
            finally
            {
                foreach (var server in servers)
                {
                    await server.DisposeAsync();
                }
                await DropSchemaAsync(connection, schema);
            }
        }
        if (result["threeProcesses"]?["eventsPerSecond"] is { } three)
        {
            result["ratioThreeToOne"] = Math.Round(three.GetValue<double>() / result["oneProcess"]!["eventsPerSecond"]!.GetValue<double>(), 3);
        }
        return result;
    }
}
