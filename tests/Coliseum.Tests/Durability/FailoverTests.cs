// PostgreSQL-only already (each test makes its own schema): Coliseum.Tests.Postgres, which compiles these files
// again with POSTGRES_BACKEND, would only run it a second time.
#if !POSTGRES_BACKEND
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Processing;
using Npgsql;

namespace Coliseum.Tests.Durability;

/// <summary>
/// Issue 5, several processes on one PostgreSQL database: every process captures, one runs each consumer
/// (lease + advisory lock), and when that one dies with SIGKILL a survivor carries on from the committed
/// cursors. Real <c>coliseum serve</c> processes on one schema of the test server (<c>COLISEUM_TEST_POSTGRES</c>).
/// </summary>
[Collection(nameof(ChildProcessCollection))]
public sealed class FailoverTests
{
    private static readonly string[] NotAggregates =
    [
        "passport_log", "passport_message_ids", "consumer_cursors", "consumer_dead_letters", "schema_migrations",
        "coliseum_reports", "privacy_requests", "privacy_suppressions", "coliseum_keys", "coliseum_keys_version",
    ];

    [Fact]
    public async Task Issue_5_SIGKILL_of_the_consumer_process_loses_nothing_counts_nothing_twice_and_a_survivor_takes_over()
    {
        await using var schema = await PostgresSchema.CreateAsync("failover");
        var environment = Environment(schema, new() { ["Coliseum__Processing__BatchSize"] = "200" });
        var servers = new List<ChildServer>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                servers.Add(await ChildServer.StartAsync(TempDirectory.Create($"failover-{i}"), environment));
            }
            var owners = await WaitForOwnersAsync(schema, _ => true, TimeSpan.FromSeconds(30));
            var holder = ServerOf(servers, owners.Values.First());
            Assert.True(owners.Values.All(o => ServerOf(servers, o) == holder), $"the consumers are split between processes: {string.Join(", ", owners)}");

            // Realistic, varied events (sessions, votes, follows, attendance, money in two currencies), sent by
            // six clients spread over the three processes, as single events and batches of up to 40.
            var events = Dataset.Generate(8_000, seed: 41).Events.Select(e => e.ToJsonString()).ToArray();
            var load = new Load(servers, events);
            var clients = Enumerable.Range(0, 6).Select(i => load.RunClientAsync(i)).ToArray();

            await WaitUntilAsync(() => load.Acknowledged.Count >= events.Length * 35 / 100, TimeSpan.FromSeconds(180), () => $"only {load.Acknowledged.Count} acknowledged");
            var processed = await ScalarAsync(schema, "SELECT MIN(position) FROM consumer_cursors");
            var killedAt = Stopwatch.StartNew();
            await holder.KillAsync();
            var dead = owners.Values.First();

            // A survivor holds every consumer again: measured from the SIGKILL to the lease rows naming it.
            var taken = await WaitForOwnersAsync(schema, o => o != dead, TimeSpan.FromSeconds(30));
            var takeover = killedAt.Elapsed;
            // The survivors may split the consumers between them; what matters below is where coliseum (the boards) runs.
            var next = ServerOf(servers, taken["coliseum"]);
            Assert.NotSame(holder, next);
            Console.WriteLine($"failover: SIGKILL at {processed} applied entries; takeover after {takeover.TotalMilliseconds:F0} ms by {string.Join(", ", taken.Select(t => $"{t.Key}={t.Value}"))}");
            Assert.True(takeover < TimeSpan.FromSeconds(10), $"takeover took {takeover}");

            await Task.WhenAll(clients);
            Assert.Empty(load.Errors);

            // Every acknowledged event is in the log exactly once (and every event was acknowledged: the
            // clients sent what the dead process did not answer again, to a survivor).
            var stored = await ColumnAsync(schema, "SELECT message_id FROM passport_log");
            Assert.Equal(stored.Count, stored.Distinct().Count());
            var storedSet = stored.ToHashSet(StringComparer.Ordinal);
            var lost = load.Acknowledged.Keys.Where(id => !storedSet.Contains(id)).Take(5).ToList();
            Assert.True(lost.Count == 0, $"acknowledged but lost: {string.Join(", ", lost)}");
            Assert.Equal(events.Length, load.Acknowledged.Count);
            Assert.Equal(events.Length, stored.Count);

            var head = await WaitCaughtUpAsync(schema, TimeSpan.FromSeconds(180));
            Assert.Equal(events.Length, await ScalarAsync(schema, "SELECT COUNT(*) FROM coliseum_metrics WHERE seq = 0"));
            Assert.Equal(0, await ScalarAsync(schema, "SELECT COUNT(*) FROM consumer_dead_letters"));

            // A process that does not run the coliseum consumer serves what its holder committed: it learns of it through the database.
            var other = servers.First(s => s != holder && s != next);
            var expected = await ColumnAsync(schema, """
                SELECT rank || '|' || entity_id || '|' || score FROM coliseum_leaderboards
                WHERE leaderboard_id = 'top_artists_by_plays' AND time_window = 'all_time' AND scope = '' ORDER BY rank
                """);
            Assert.NotEmpty(expected);
            var shown = await WaitForBoardAsync(other, head, TimeSpan.FromSeconds(30));
            Assert.Equal(expected, shown);

            // Every aggregate equals a rebuild: snapshot them, stop the survivors, let `coliseum replay` drop every
            // consumer's tables and cursor and re-apply the same log in one uninterrupted run, and compare.
            var incremental = await SnapshotAsync(schema);
            foreach (var server in servers.Where(s => !s.HasExited))
            {
                await server.TerminateAsync(TimeSpan.FromSeconds(30));
            }
            await ReplayAsync(environment);
            var rebuilt = await SnapshotAsync(schema);
            Assert.Equal(rebuilt.Keys, incremental.Keys);
            foreach (var (table, rows) in rebuilt)
            {
                var mine = incremental[table];
                var missing = rows.Except(mine).Take(3).ToList();
                var extra = mine.Except(rows).Take(3).ToList();
                Assert.True(missing.Count == 0 && extra.Count == 0 && rows.Count == mine.Count,
                    $"{table} differs from its rebuild ({rows.Count} vs {mine.Count} rows); only in the rebuild: [{string.Join("; ", missing)}]; only incremental: [{string.Join("; ", extra)}]");
            }
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Issue_5_a_capture_on_another_process_wakes_the_consumers_through_NOTIFY_not_the_poll()
    {
        await using var schema = await PostgresSchema.CreateAsync("wakeup");
        // A slow fallback poll (20 s) and a lease long enough not to cap it, so a wake-up that comes well before
        // the poll could have found the entry can only have come from the notification.
        var environment = Environment(schema, new() { ["Coliseum__Processing__IdlePollMilliseconds"] = "20000", ["Coliseum__Processing__LeaseSeconds"] = "120" });
        await using var holder = await ChildServer.StartAsync(TempDirectory.Create("wakeup-holder"), environment);
        var idleSince = Stopwatch.StartNew();
        var owners = await WaitForOwnersAsync(schema, _ => true, TimeSpan.FromSeconds(30));
        await using var capture = await ChildServer.StartAsync(TempDirectory.Create("wakeup-capture"), environment);
        Assert.Same(holder, ServerOf([holder, capture], owners["coliseum"]));

        // The holder's idle loop sleeps 10 ms, 20 ms, … doubling: after 12 s idle it is in a sleep that ends
        // after 20 s, so polling alone would apply the next entry 8 s or more after it is stored.
        if (idleSince.Elapsed < TimeSpan.FromSeconds(12))
        {
            await Task.Delay(TimeSpan.FromSeconds(12) - idleSince.Elapsed);
        }
        var timings = new List<double>();
        for (var i = 0; i < 4; i++)
        {
            var before = await ScalarAsync(schema, "SELECT position FROM consumer_cursors WHERE name = 'coliseum'");
            var sent = Stopwatch.StartNew();
            using var response = await capture.PostAsync("/api/passport/log", Events.TrackPlayed($"wake-{i}").ToJsonString(), TestServer.WriteKey);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var acknowledged = sent.Elapsed;
            while (await ScalarAsync(schema, "SELECT position FROM consumer_cursors WHERE name = 'coliseum'") <= before)
            {
                Assert.True(sent.Elapsed < TimeSpan.FromSeconds(60), "the holder never applied the entry");
                await Task.Delay(2);
            }
            timings.Add(sent.Elapsed.TotalMilliseconds);
            Console.WriteLine($"wake-up {i}: stored after {acknowledged.TotalMilliseconds:F0} ms, applied by the other process after {sent.Elapsed.TotalMilliseconds:F0} ms");
            await Task.Delay(3_000);
        }
        // The first entry came after 12 s of quiet, when the next poll was ≥ 8 s away: applied well before it.
        Assert.True(timings[0] < 5_000, $"applied {timings[0]:F0} ms after capture: that was the poll, not a notification ({string.Join(", ", timings)})");
    }

    [Fact]
    public async Task Issue_5_an_erasure_on_the_holder_reaches_another_process_suppressions_and_cached_boards()
    {
        await using var schema = await PostgresSchema.CreateAsync("erasure");
        var environment = Environment(schema, []);
        await using var holder = await ChildServer.StartAsync(TempDirectory.Create("erasure-holder"), environment);
        var owners = await WaitForOwnersAsync(schema, _ => true, TimeSpan.FromSeconds(30));
        await using var other = await ChildServer.StartAsync(TempDirectory.Create("erasure-other"), environment);
        Assert.Same(holder, ServerOf([holder, other], owners["coliseum"]));

        // The other process stores the user's play and caches the board that shows it.
        using (var stored = await other.PostAsync("/api/passport/log", Events.TrackPlayed("erase-1", userId: "erased-fan", artistId: "erased-artist").ToJsonString(), TestServer.WriteKey))
        {
            Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        }
        await WaitCaughtUpAsync(schema, TimeSpan.FromSeconds(30));
        await WaitForAsync(async () => (await BoardAsync(other)).Contains("erased-artist", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the board never showed the play");

        // Erased where the consumers run: the rebuild brings the cursor back to the same position as before, so
        // only the epoch (learnt from privacy_requests) tells the other process its cached board is stale.
        using (var erase = new HttpRequestMessage(HttpMethod.Delete, "/api/privacy/users/erased-fan?suppress=true"))
        {
            erase.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.AdminKey);
            using var erased = await holder.Client.SendAsync(erase);
            Assert.True(erased.IsSuccessStatusCode, await erased.Content.ReadAsStringAsync() + "\n" + holder.Output);
        }
        var erasedAt = Stopwatch.StartNew();
        await WaitCaughtUpAsync(schema, TimeSpan.FromSeconds(30));
        await WaitForAsync(async () => !(await BoardAsync(other)).Contains("erased-artist", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the other process still serves the board from before the erasure");
        Console.WriteLine($"erasure: the other process's board dropped the user after {erasedAt.ElapsedMilliseconds} ms");

        // The other process drops the user's later events once it has re-read the suppressions (within a second or so).
        var n = 0;
        async Task<bool> StoredAsync()
        {
            var id = $"after-{n++}";
            using var response = await other.PostAsync("/api/passport/log", Events.TrackPlayed(id, userId: "erased-fan").ToJsonString(), TestServer.WriteKey);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return await ScalarAsync(schema, $"SELECT COUNT(*) FROM passport_log WHERE message_id = '{id}'") > 0;
        }
        await WaitForAsync(async () => !await StoredAsync(), TimeSpan.FromSeconds(30), "the other process kept storing the erased user's events");
        Console.WriteLine($"erasure: the other process drops the user's events {erasedAt.ElapsedMilliseconds} ms after the erasure");
        for (var i = 0; i < 3; i++)
        {
            Assert.False(await StoredAsync());
        }
    }

    private static async Task<string> BoardAsync(ChildServer server)
    {
        using var get = new HttpRequestMessage(HttpMethod.Get, "/api/coliseum/leaderboards/top_artists_by_plays?limit=100");
        get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.ReadKey);
        using var answer = await server.Client.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return await answer.Content.ReadAsStringAsync();
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string why)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < timeout, why);
            await Task.Delay(50);
        }
    }

    private static Dictionary<string, string> Environment(PostgresSchema schema, Dictionary<string, string> extra)
    {
        var environment = new Dictionary<string, string>(extra)
        {
            ["Coliseum__Storage__Provider"] = "postgres",
            ["ConnectionStrings__Coliseum"] = System.Environment.GetEnvironmentVariable(PostgresSchema.Variable)!,
            ["Coliseum__Storage__Schema"] = schema.Name,
        };
        return environment;
    }

    /// <summary>The lease owner of each consumer, once all three have one that <paramref name="accept"/> accepts.</summary>
    private static async Task<Dictionary<string, string>> WaitForOwnersAsync(PostgresSchema schema, Func<string, bool> accept, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var owners = new Dictionary<string, string>();
        while (deadline.Elapsed < timeout)
        {
            owners.Clear();
            await using (var command = schema.DataSource.CreateCommand("SELECT name, lease_owner FROM consumer_cursors WHERE lease_owner IS NOT NULL"))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    owners[reader.GetString(0)] = reader.GetString(1);
                }
            }
            if (owners.Count == 3 && owners.Values.All(accept))
            {
                return owners;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"lease owners: {string.Join(", ", owners)}");
    }

    /// <summary>The server whose process is the owner's (<c>host:pid:nonce</c>): its command line holds the server's port.</summary>
    private static ChildServer ServerOf(IReadOnlyList<ChildServer> servers, string owner)
    {
        var pid = int.Parse(owner.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        return servers.Single(s => commandLine.Contains(s.Address.GetLeftPart(UriPartial.Authority) + " ", StringComparison.Ordinal));
    }

    private static async Task<long> WaitCaughtUpAsync(PostgresSchema schema, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            // The last entry, not the head counter: a large append of the killed process leaves its positions unused.
            var head = await ScalarAsync(schema, "SELECT COALESCE(MAX(position), 0) FROM passport_log");
            if (await ScalarAsync(schema, "SELECT MIN(position) FROM consumer_cursors") >= head)
            {
                return head;
            }
            Assert.True(deadline.Elapsed < timeout, "the consumers did not catch up after the failover");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Reads the board on <paramref name="server"/> as a live stream until an update shows the log applied up
    /// to <paramref name="position"/>, then checks the plain GET agrees; returns rank|entity|score lines.
    /// </summary>
    private static async Task<List<string>> WaitForBoardAsync(ChildServer server, long position, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/coliseum/stream/leaderboards/top_artists_by_plays?limit=100");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.ReadKey);
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
        JsonNode? board = null;
        while (await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.StartsWith("data: {", StringComparison.Ordinal) && JsonNode.Parse(line[6..]) is JsonObject update && update["logPosition"] is { } at && at.GetValue<long>() >= position)
            {
                board = update;
                break;
            }
        }
        Assert.NotNull(board);
        using var get = new HttpRequestMessage(HttpMethod.Get, "/api/coliseum/leaderboards/top_artists_by_plays?limit=100");
        get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.ReadKey);
        using var answer = await server.Client.SendAsync(get, cancel.Token);
        var plain = JsonNode.Parse(await answer.Content.ReadAsStringAsync(cancel.Token))!;
        var lines = Lines(board);
        Assert.Equal(lines, Lines(plain));
        return lines;

        static List<string> Lines(JsonNode view) => [.. view["entries"]!.AsArray().Select(e => $"{e!["rank"]}|{e["entity_id"]}|{e["score"]}")];
    }

    /// <summary>Every aggregate table of the schema, each row as PostgreSQL's text of the record, sorted.</summary>
    private static async Task<SortedDictionary<string, List<string>>> SnapshotAsync(PostgresSchema schema)
    {
        var tables = (await ColumnAsync(schema, """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            """)).Where(t => !NotAggregates.Contains(t) && !t.StartsWith("passport_log", StringComparison.Ordinal)).ToList();
        var snapshot = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            var rows = await ColumnAsync(schema, $"SELECT CAST(t AS text) FROM {table} t");
            rows.Sort(StringComparer.Ordinal);
            snapshot[table] = rows;
        }
        Assert.Contains("coliseum_metrics", snapshot.Keys);
        Assert.Contains("treasury_ledger", snapshot.Keys);
        Assert.Contains("mediaid_profiles", snapshot.Keys);
        return snapshot;
    }

    private static async Task ReplayAsync(Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(ChildServer.ColiseumDll());
        info.ArgumentList.Add("replay");
        info.ArgumentList.Add("--data-dir");
        info.ArgumentList.Add(TempDirectory.Create("failover-replay"));
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"coliseum replay exited {process.ExitCode}:\n{output}{await stderr}");
    }

    private static async Task<long> ScalarAsync(PostgresSchema schema, string sql)
    {
        await using var command = schema.DataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<List<string>> ColumnAsync(PostgresSchema schema, string sql)
    {
        var values = new List<string>();
        await using var command = schema.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }
        return values;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> why)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < timeout, why());
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Clients that take the dataset's events in order, a single event or a batch of up to 40 at a time, each
    /// starting on its own process. A request the process does not answer (it was killed) is not acknowledged
    /// and is sent again, unchanged, to the next process: the messageIds make that safe.
    /// </summary>
    private sealed class Load(IReadOnlyList<ChildServer> servers, string[] events)
    {
        private int _next;

        public ConcurrentDictionary<string, bool> Acknowledged { get; } = new(StringComparer.Ordinal);

        public ConcurrentQueue<string> Errors { get; } = new();

        public async Task RunClientAsync(int client)
        {
            var random = new Random(client);
            var server = client % servers.Count;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            while (true)
            {
                var size = random.Next(3) == 0 ? 1 : 1 + random.Next(40);
                var start = Interlocked.Add(ref _next, size) - size;
                if (start >= events.Length)
                {
                    return;
                }
                var chunk = events[start..Math.Min(events.Length, start + size)];
                var (path, body) = chunk.Length == 1
                    ? ("/api/passport/log", chunk[0])
                    : ("/api/passport/batch", "{\"events\":[" + string.Join(",", chunk) + "]}");
                for (var attempt = 0; ; attempt++)
                {
                    if (attempt > 50)
                    {
                        Errors.Enqueue($"client {client}: gave up on {path}");
                        return;
                    }
                    try
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(servers[server].Address, path)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                        request.Headers.Add("X-Coliseum-Key", TestServer.WriteKey);
                        using var response = await http.SendAsync(request);
                        if (response.IsSuccessStatusCode)
                        {
                            var answer = await response.Content.ReadAsStringAsync();
                            if (chunk.Length > 1 && JsonNode.Parse(answer)!["rejected"]!.AsArray().Count > 0)
                            {
                                Errors.Enqueue($"client {client}: rejected {answer}");
                            }
                            foreach (var e in chunk)
                            {
                                Acknowledged[JsonNode.Parse(e)!["messageId"]!.GetValue<string>()] = true;
                            }
                            break;
                        }
                        if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                        {
                            await Task.Delay(50);
                            continue;
                        }
                        Errors.Enqueue($"client {client}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                        return;
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                    {
                        // No answer: the process is gone (or going). Not acknowledged; the next process gets it.
                        server = (server + 1) % servers.Count;
                        await Task.Delay(20);
                    }
                }
            }
        }
    }
}
#endif
