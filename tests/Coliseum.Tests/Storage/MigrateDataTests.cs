using System.Text;
using System.Text.Json.Nodes;
using Coliseum.Capture;
using Coliseum.Privacy;
using Coliseum.Security;
using Coliseum.Storage;
using Coliseum.Storage.Postgres;
using Coliseum.Storage.Sqlite;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Processing;

namespace Coliseum.Tests.Storage;

/// <summary>
/// <c>coliseum migrate-data --from sqlite:PATH --to postgres:CONN</c>, run as its own process against a SQLite log
/// made through the real validator and a schema of its own on the test PostgreSQL.
/// </summary>
public sealed class MigrateDataTests : IAsyncLifetime
{
    private ProcessorHarness _source = null!;
    private PostgresSchema _target = null!;

    public async Task InitializeAsync()
    {
        _source = await ProcessorHarness.CreateAsync();
        _target = await PostgresSchema.CreateAsync("migrate", create: false);
    }

    public async Task DisposeAsync()
    {
        await _target.DisposeAsync();
        await _source.DisposeAsync();
    }

    private static string Connection => Environment.GetEnvironmentVariable(PostgresSchema.Variable)!;

    private Task<(int Exit, string Output, string Error)> MigrateAsync(params string[] extra) => ColiseumCli.RunAsync(
        ["migrate-data", "--from", $"sqlite:{Path.GetDirectoryName(_source.DatabasePath)}", "--to", $"postgres:{Connection}", "--schema", _target.Name, .. extra]);

    /// <summary>A few thousand generated events, plus some with context, non-ASCII text, odd number forms, and erased rows.</summary>
    private async Task FillSourceAsync(int count = 3000)
    {
        await _source.AppendAsync(Dataset.Generate(count).Json);
        var extras = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            var ev = Events.TrackPlayed($"extra-{i}", userId: $"usuário-{i % 7}-🎵", trackId: $"pista-ñ-{i}");
            ev["anonymousId"] = $"anon-{i}";
            ev["deviceId"] = $"device-{i % 3}";
            ev["context"] = new JsonObject { ["locale"] = "es-CO", ["app"] = new JsonObject { ["name"] = "Concierto \"beta\"", ["build"] = 1234 }, ["list"] = new JsonArray(1, 2.5, "ü", null, true) };
            ev["unknownExtra"] = JsonNode.Parse("1e2");
            ev["tab\tand\\slash"] = "line\nbreak \u00e9 \u2028";
            extras.Add(ev.ToJsonString());
        }
        await _source.AppendAsync([.. extras]);
        // Rows blanked the way an erasure blanks them (the dataset begins with 20 artists and events, the extras follow it).
        Assert.Equal(4, Sql.Execute(_source.DatabasePath, $"""
            UPDATE passport_log SET event_type = '{ErasedEntry.EventType}', event_category = '{ErasedEntry.Category}', user_id = NULL, anonymous_id = NULL,
                session_id = NULL, device_id = NULL, entity_type = NULL, entity_id = NULL, metadata = '{"{}"}', context = NULL,
                occurred_at = received_at, client_at = received_at, sent_at = NULL, source = '{ErasedEntry.Source}', warnings = NULL
            WHERE position IN (3, 100, {count / 2}, {count + 20 + 10})
            """));
    }

    /// <summary>Two erasure records (one suppressing its user) and a requested report, as the server writes them.</summary>
    private void AddPrivacyAndReports(long firstId = 1)
    {
        Sql.Execute(_source.DatabasePath, $"""
            INSERT INTO privacy_requests (id, user_hash, requested_at, requested_by, suppress, removed, consumers_reset, rebuild_target) VALUES
                ({firstId}, '{new string('a', 64)}', 1796000000000, '0123456789ab', 1, '{"{"}"passport_entries":3{"}"}', 'coliseum,mediaid', 3000),
                ({firstId + 1}, '{new string('b', 64)}', 1796000000500, '0123456789ab', 0, '{"{}"}', '', 3001);
            INSERT INTO privacy_suppressions (user_hash, request_id, created_at) VALUES ('{new string('a', 64)}', {firstId}, 1796000000000);
            INSERT INTO coliseum_reports (type, params, status, created_at) VALUES ('platform', '{"{"}"days":7{"}"}', 'pending', 1796000001000);
            """);
    }

    private async Task<List<StoredKey>> AddKeysAsync()
    {
        var keys = new SqliteKeyStore(_source.DatabasePath);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await keys.AddAsync(ApiKeys.Create(KeyRole.Write, "web", "generated", now - 10_000).Row, CancellationToken.None);
        var revoked = await keys.AddAsync(ApiKeys.Create(KeyRole.Admin, "old admin", "cli", now - 5_000).Row, CancellationToken.None);
        await keys.AddAsync(ApiKeys.Create(KeyRole.Read, null, "keys.json", now).Row, CancellationToken.None);
        await keys.RevokeAsync(revoked.Id, now - 1_000, CancellationToken.None);
        return [.. await keys.ListAsync(CancellationToken.None)];
    }

    private async Task<List<PassportEntry>> ReadAllAsync(IPassportStore store)
    {
        var all = new List<PassportEntry>();
        while (true)
        {
            var batch = await store.ReadAsync(all.Count == 0 ? 0 : all[^1].Position, 1000, CancellationToken.None);
            if (batch.Count == 0)
            {
                return all;
            }
            all.AddRange(batch);
        }
    }

    /// <summary>Every entry of the SQLite log is on PostgreSQL at the same position, field for field; JSON by meaning (jsonb keeps no bytes).</summary>
    private async Task AssertLogsEqualAsync()
    {
        var expected = await ReadAllAsync(_source.Log);
        var store = new PostgresPassportStore(_target.DataSource, _target.Name);
        var actual = await ReadAllAsync(store);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Count, await store.GetHeadAsync(CancellationToken.None));
        for (var i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            Assert.Equal(e.Position, a.Position);
            var (x, y) = (e.Record, a.Record);
            Assert.Equal(
                (x.MessageId, x.EventType, x.EventCategory, x.UserId, x.AnonymousId, x.SessionId, x.DeviceId, x.EntityType, x.EntityId, x.OccurredAt, x.ClientAt, x.SentAt, x.ReceivedAt, x.Source, x.Warnings),
                (y.MessageId, y.EventType, y.EventCategory, y.UserId, y.AnonymousId, y.SessionId, y.DeviceId, y.EntityType, y.EntityId, y.OccurredAt, y.ClientAt, y.SentAt, y.ReceivedAt, y.Source, y.Warnings));
            Assert.True(JsonEqual(x.Metadata, y.Metadata), $"metadata at {e.Position}: {Encoding.UTF8.GetString(x.Metadata)} vs {Encoding.UTF8.GetString(y.Metadata)}");
            Assert.True(x.Context is null ? y.Context is null : y.Context is not null && JsonEqual(x.Context, y.Context), $"context at {e.Position}");
        }
    }

    private static bool JsonEqual(byte[] a, byte[] b) => JsonNode.DeepEquals(JsonNode.Parse(a), JsonNode.Parse(b));

    private static object Key(StoredKey k) => (k.Id, k.Name, k.Role, k.Sha256, k.Prefix, k.Source, k.CreatedAt, k.RevokedAt);

    [Fact]
    public async Task Migrate_data_round_trip_keeps_every_entry_at_its_position_and_every_key()
    {
        await FillSourceAsync();
        var keys = await AddKeysAsync();
        AddPrivacyAndReports();

        var (exit, output, error) = await MigrateAsync("--batch", "700");

        Assert.True(exit == 0, $"exit {exit}: {output} {error}");
        Assert.Contains("Copied 3,070 log entries", output);
        Assert.Contains("Keys: 3 added, 1 marked revoked", output);
        Assert.Contains("rebuild from the log", output);
        Assert.DoesNotContain("Password", output + error, StringComparison.OrdinalIgnoreCase);
        await AssertLogsEqualAsync();
        var copied = await new PostgresKeyStore(_target.DataSource).ListAsync(CancellationToken.None);
        Assert.Equal(keys.Select(Key), copied.Select(Key));
        foreach (var table in new[] { "privacy_requests", "privacy_suppressions", "coliseum_reports" })
        {
            Assert.Equal(Sql.Rows(_source.DatabasePath, $"SELECT * FROM {table} ORDER BY 1"), await PostgresRowsAsync($"SELECT * FROM {table} ORDER BY 1"));
        }
        Assert.Contains("privacy_requests: 2 rows copied", output);
        // The ids go on after the copied ones.
        Assert.Equal(3L, await _target.ScalarAsync<long>("INSERT INTO privacy_requests (user_hash, requested_at, requested_by, suppress, removed, consumers_reset, rebuild_target) VALUES ('c', 1, 'x', 0, '{}', '', 0) RETURNING id"));
        await _target.ScalarAsync<long>("DELETE FROM privacy_requests WHERE id = 3 RETURNING id");

        // A second run finds the log copied and changes nothing.
        var again = await MigrateAsync();
        Assert.True(again.Exit == 0, again.Error);
        Assert.Contains("already copied", again.Error);
        Assert.Contains("Copied 0 log entries", again.Output);
        Assert.Contains("Keys: 0 added, 0 marked revoked", again.Output);
        Assert.Contains("privacy_requests: 0 rows copied, 2 already there", again.Output);
        await AssertLogsEqualAsync();
    }

    [Fact]
    public async Task Migrate_data_will_not_continue_past_an_erasure_made_on_the_source_since_the_copy_began()
    {
        await FillSourceAsync(500);
        Assert.Equal(0, (await MigrateAsync()).Exit);
        await _source.AppendAsync(Dataset.Generate(10, seed: 3).Json.Select(e => e.Replace("\"ds-", "\"later-", StringComparison.Ordinal)).ToArray());
        AddPrivacyAndReports();

        var (exit, _, error) = await MigrateAsync();

        Assert.Equal(1, exit);
        Assert.Contains("erased on the source (privacy request 1) after this copy began", error);
        Assert.Equal(570L, await new PostgresPassportStore(_target.DataSource, _target.Name).GetHeadAsync(CancellationToken.None));
    }

    /// <summary>Rows as <see cref="Sql.Rows"/> writes SQLite's.</summary>
    private async Task<List<string>> PostgresRowsAsync(string sql)
    {
        await using var command = _target.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            var values = new string[reader.FieldCount];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = reader.IsDBNull(i) ? "∅" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!;
            }
            rows.Add(string.Join('|', values));
        }
        return rows;
    }

    [Fact]
    public async Task Migrate_data_continues_a_copy_that_stopped_part_way()
    {
        await FillSourceAsync(2000);
        // What an interrupted run leaves: the migrations applied and a prefix of the log, whole batches of it.
        var target = new PostgresPassportStore(_target.DataSource, _target.Name);
        await target.InitializeAsync(CancellationToken.None);
        var prefix = (await _source.Log.ReadAsync(0, 1234, CancellationToken.None)).Select(e => e.Record).ToList();
        await target.AppendAsync(prefix, new bool[prefix.Count], CancellationToken.None);

        var (exit, output, error) = await MigrateAsync("--batch", "500");

        Assert.True(exit == 0, $"exit {exit}: {output} {error}");
        Assert.Contains("Continuing an earlier copy", error);
        Assert.Contains("holds entries 1 to 1,234", error);
        Assert.Contains("Copied 836 log entries", output);
        await AssertLogsEqualAsync();
    }

    [Fact]
    public async Task Migrate_data_interrupted_by_a_signal_leaves_a_prefix_that_a_second_run_completes()
    {
        await FillSourceAsync(60_000);
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[ChildServer.ColiseumDll(), "migrate-data", "--from", $"sqlite:{_source.DatabasePath}", "--to", $"postgres:{Connection}", "--schema", _target.Name, "--batch", "100"])
        {
            info.ArgumentList.Add(arg);
        }
        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var store = new PostgresPassportStore(_target.DataSource, _target.Name);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await HeadOrZeroAsync(store) < 5_000)
        {
            if (DateTime.UtcNow > deadline || process.HasExited)
            {
                Assert.Fail($"the copy did not start, or ended before it could be interrupted: {await stderr}");
            }
            await Task.Delay(20);
        }
        // SIGTERM, what an orchestrator sends; Ctrl-C (SIGINT) goes to the same handler. Not SIGINT here: a process
        // started in the background by a non-interactive shell inherits SIGINT ignored (POSIX), as CI may start
        // the tests, and then the copy would finish instead of stopping.
        var sent = Kill(process.Id, SigTerm);
        Assert.True(sent == 0, $"kill({process.Id}) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}, exited {process.HasExited}");
        await process.WaitForExitAsync();
        var error = await stderr;
        await stdout;

        Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}, head {await store.GetHeadAsync(CancellationToken.None)}: {error}");
        Assert.Contains("interrupted", error);
        var stopped = await store.GetHeadAsync(CancellationToken.None);
        Assert.InRange(stopped, 5_000, 60_069);
        var (exit, output, again) = await MigrateAsync();
        Assert.True(exit == 0, $"exit {exit}: {output} {again}");
        Assert.Contains($"holds entries 1 to {stopped:N0}", again);
        await AssertLogsEqualAsync();
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static async Task<long> HeadOrZeroAsync(PostgresPassportStore store)
    {
        try
        {
            return await store.GetHeadAsync(CancellationToken.None);
        }
        catch (Npgsql.PostgresException)
        {
            return 0; // the migrations have not made the log yet
        }
    }

    [Fact]
    public async Task Migrate_data_refuses_a_target_whose_log_is_not_a_copy_of_the_source()
    {
        await FillSourceAsync(500);
        var target = new PostgresPassportStore(_target.DataSource, _target.Name);
        await target.InitializeAsync(CancellationToken.None);
        await using var other = await ProcessorHarness.CreateAsync();
        await other.AppendAsync(Dataset.Generate(10, seed: 99).Json.Select(e => e.Replace("\"ds-", "\"other-", StringComparison.Ordinal)).ToArray());
        var foreign = (await other.Log.ReadAsync(0, 100, CancellationToken.None)).Select(e => e.Record).ToList();
        await target.AppendAsync(foreign, new bool[foreign.Count], CancellationToken.None);

        var (exit, _, error) = await MigrateAsync();

        Assert.Equal(1, exit);
        Assert.Contains("is not empty", error);
        Assert.Contains("not an earlier copy of this log", error);
        Assert.Equal(foreign.Count, await target.GetHeadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Migrate_data_stops_at_a_gap_in_the_source_log()
    {
        await FillSourceAsync(1000);
        Sql.Execute(_source.DatabasePath, "DELETE FROM passport_log WHERE position = 777");

        var (exit, _, error) = await MigrateAsync("--batch", "100");

        Assert.Equal(1, exit);
        Assert.Contains("gap: there is no entry 777", error);
        Assert.Equal(776, await new PostgresPassportStore(_target.DataSource, _target.Name).GetHeadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Migrate_data_with_rebuild_gives_the_aggregates_a_replay_gives_on_sqlite()
    {
        await FillSourceAsync();
        var replay = await ColiseumCli.RunAsync("replay", "--data-dir", Path.GetDirectoryName(_source.DatabasePath)!);
        Assert.True(replay.Exit == 0, replay.Error);
        var tables = Aggregates.Snapshot(_source.DatabasePath).Keys;

        var (exit, output, error) = await MigrateAsync("--rebuild");

        Assert.True(exit == 0, $"exit {exit}: {output} {error}");
        Assert.Contains("coliseum: 3,070 entries", output);
        var (expected, actual) = await SnapshotsAsync(tables);
        Assert.Contains(expected, t => t.Value.Count > 0);
        Aggregates.Equal(expected, actual);
    }

    [Fact]
    public async Task Migrate_data_then_serve_on_postgres_builds_the_aggregates_a_replay_gives_on_sqlite()
    {
        await FillSourceAsync();
        var replay = await ColiseumCli.RunAsync("replay", "--data-dir", Path.GetDirectoryName(_source.DatabasePath)!);
        Assert.True(replay.Exit == 0, replay.Error);
        var tables = Aggregates.Snapshot(_source.DatabasePath).Keys;
        var migrate = await MigrateAsync();
        Assert.True(migrate.Exit == 0, migrate.Error);
        Assert.Equal(0L, await _target.ScalarAsync<long>("SELECT MAX(position) FROM consumer_cursors"));

        var directory = TempDirectory.Create("migrate-serve");
        await using (var server = await ChildServer.StartAsync(directory, new Dictionary<string, string>
        {
            ["Coliseum__Storage__Provider"] = "postgres",
            ["ConnectionStrings__Coliseum"] = Connection,
            ["Coliseum__Storage__Schema"] = _target.Name,
        }))
        {
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (await _target.ScalarAsync<long>("SELECT MIN(position) FROM consumer_cursors") < 3070)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the consumers did not catch up on PostgreSQL: {server.Output}");
                await Task.Delay(100);
            }
        }
        var (expected, actual) = await SnapshotsAsync(tables);
        Aggregates.Equal(expected, actual);
    }

    /// <summary>
    /// Columns that copy an entry's metadata out of the log: on PostgreSQL the log keeps it as jsonb, which hands an
    /// object back with its keys in its own order (shorter first) and its numbers in its own form (<c>1e2</c> as
    /// <c>100</c>), so the copy's text differs from SQLite's. These columns (and only these) are compared by meaning:
    /// both sides re-serialised with keys sorted and each number written from its decimal value.
    /// </summary>
    private static readonly HashSet<(string Table, string Column)> MetadataCopies = [("coliseum_metrics", "metadata")];

    /// <summary>
    /// Both databases' consumer tables (those the SQLite <see cref="Aggregates.Snapshot"/> holds), with SQLite's columns
    /// in SQLite's order, each value formatted as <see cref="Sql.Rows"/> formats SQLite's. Normalised: a boolean becomes
    /// 1 or 0 (SQLite has none; no consumer table has one today), and <see cref="MetadataCopies"/> by JSON meaning.
    /// Nothing else is: bigint and text come back as long and string like SQLite's INTEGER and TEXT, and any other type
    /// fails the test rather than being made to look equal.
    /// </summary>
    private async Task<(SortedDictionary<string, List<string>> Sqlite, SortedDictionary<string, List<string>> Postgres)> SnapshotsAsync(IEnumerable<string> tables)
    {
        var (sqlite, postgres) = (new SortedDictionary<string, List<string>>(StringComparer.Ordinal), new SortedDictionary<string, List<string>>(StringComparer.Ordinal));
        await using var source = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_source.DatabasePath};Mode=ReadOnly;Pooling=False");
        await source.OpenAsync();
        await using var target = await _target.DataSource.OpenConnectionAsync();
        foreach (var table in tables)
        {
            var columns = Sql.Column(_source.DatabasePath, $"SELECT name FROM pragma_table_info('{table}') ORDER BY cid");
            sqlite[table] = await DumpAsync(source, table, columns);
            postgres[table] = await DumpAsync(target, table, columns);
        }
        return (sqlite, postgres);
    }

    private static async Task<List<string>> DumpAsync(System.Data.Common.DbConnection connection, string table, List<string> columns)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {string.Join(", ", columns)} FROM {table}";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            var values = new string[reader.FieldCount];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = reader.GetValue(i) switch
                {
                    DBNull => "∅",
                    bool b => b ? "1" : "0",
                    string text when MetadataCopies.Contains((table, columns[i])) => SortedKeys(JsonNode.Parse(text))!.ToJsonString(),
                    long or string => Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!,
                    var other => throw new InvalidOperationException($"{table}.{columns[i]} is a {other.GetType().Name}; decide how it compares across the databases"),
                };
            }
            rows.Add(string.Join('|', values));
        }
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    private static JsonNode? SortedKeys(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, SortedKeys(p.Value?.DeepClone())))),
        JsonArray a => new JsonArray([.. a.Select(v => SortedKeys(v?.DeepClone()))]),
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.Number =>
            JsonValue.Create(decimal.Parse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture)),
        _ => node?.DeepClone(),
    };

    [Theory]
    [InlineData("--from|data.db", "--from must be sqlite:PATH")]
    [InlineData("--from|sqlite:/no/such/dir/coliseum.db", "no Coliseum database at /no/such/dir/coliseum.db")]
    [InlineData("--to|Host=db;Password=hunter2", "--to must be postgres:CONNECTION")]
    [InlineData("--to|postgres:Host=db;Password=hunter2;Colour=blue", "not a valid Npgsql connection string")]
    [InlineData("--to|postgres:Database=x;Password=hunter2", "names no Host")]
    [InlineData("--schema|Bad-Name", "--schema: 'Bad-Name' is not a usable schema name")]
    [InlineData("--batch|0", "--batch must be a whole number from 1 to 100000")]
    public async Task Migrate_data_answers_bad_arguments_with_exit_2_and_a_clear_message(string replace, string message)
    {
        var (option, value) = (replace.Split('|')[0], replace.Split('|')[1]);
        var args = new List<string> { "migrate-data", "--from", $"sqlite:{_source.DatabasePath}", "--to", "postgres:Host=127.0.0.1;Password=hunter2", "--schema", "public", "--batch", "10" };
        args[args.IndexOf(option) + 1] = value;

        var (exit, output, error) = await ColiseumCli.RunAsync([.. args]);

        Assert.Equal(2, exit);
        Assert.Contains(message, error);
        Assert.DoesNotContain("hunter2", output + error);
    }

    [Fact]
    public async Task Migrate_data_without_from_is_a_usage_error()
    {
        var (exit, _, error) = await ColiseumCli.RunAsync("migrate-data", "--to", $"postgres:{Connection}");

        Assert.Equal(2, exit);
        Assert.Contains("--from sqlite:PATH and --to postgres:CONNECTION are both required", error);
    }
}
