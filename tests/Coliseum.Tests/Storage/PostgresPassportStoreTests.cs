using System.Text;
using Coliseum.Capture;
using Coliseum.Storage;
using Coliseum.Storage.Postgres;
using Coliseum.Tests.Infrastructure;
using Npgsql;

namespace Coliseum.Tests.Storage;

public sealed class PostgresPassportStoreTests : PassportStoreConformance
{
    private PostgresSchema? _schema;

    protected override async Task<IPassportStore> CreateStoreAsync(bool reopen)
    {
        _schema ??= await PostgresSchema.CreateAsync("pglog");
        var store = new PostgresPassportStore(_schema.DataSource, _schema.Name);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }

    private PostgresPassportStore Store(NpgsqlDataSource? dataSource = null) => new(dataSource ?? _schema!.DataSource, _schema!.Name);

    private static async Task<bool[]> AppendAsync(IPassportStore store, params PassportRecord[] records)
    {
        var inserted = new bool[records.Length];
        await store.AppendAsync(records, inserted, CancellationToken.None);
        return inserted;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _schema!.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"waited 15 s for: {what}");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>True while a session of the pool named <paramref name="applicationName"/> waits for a lock.</summary>
    private async Task<bool> WaitingForLockAsync(string applicationName)
    {
        await using var command = _schema!.DataSource.CreateCommand(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = @app AND wait_event_type = 'Lock')");
        command.Parameters.AddWithValue("app", applicationName);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// A test trigger (<paramref name="when"/>, e.g. <c>AFTER INSERT ON t FOR EACH ROW WHEN (…)</c>) holds the
    /// transaction that fires it: it waits for an advisory lock the returned gate holds until it is opened. By default
    /// the append whose message ids start with "slow-" stops after it has taken its positions and before it commits
    /// (its rows go in after the positions are taken).
    /// </summary>
    private async Task<Gate> CloseGateAsync(string when = "AFTER INSERT ON passport_log FOR EACH ROW WHEN (NEW.message_id LIKE 'slow-%')")
    {
        var key = Random.Shared.NextInt64(1, long.MaxValue);
        await ExecuteAsync($"""
            CREATE FUNCTION test_gate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock_shared({key}); RETURN NEW; END $$;
            CREATE TRIGGER test_gate {when} EXECUTE FUNCTION test_gate();
            """);
        var connection = await _schema!.DataSource.OpenConnectionAsync();
        await using var close = new NpgsqlCommand($"SELECT pg_advisory_lock({key})", connection);
        await close.ExecuteNonQueryAsync();
        return new Gate(connection, key);
    }

    private sealed record Gate(NpgsqlConnection Connection, long Key) : IAsyncDisposable
    {
        public async Task OpenAsync()
        {
            await using var open = new NpgsqlCommand($"SELECT pg_advisory_unlock({Key})", Connection);
            await open.ExecuteNonQueryAsync();
        }

        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }

    private static PassportRecord[] Records(string prefix, int count) =>
        [.. Enumerable.Range(0, count).Select(i => Record($"{prefix}-{i:D3}"))];

    [Theory]
    [InlineData(2, 2)] // small appends hold the head lock until they commit: the second waits
    [InlineData(300, 2)] // a large one takes its positions apart and COPYs without the lock: the small one commits first
    [InlineData(2, 300)]
    [InlineData(300, 300)] // two large ones: the second commits first
    public async Task Issue_5_a_reader_never_skips_an_append_that_commits_late(int slowCount, int fastCount)
    {
        // Two "processes" on one database; the first append is held open after it has taken its positions.
        var tag = Guid.NewGuid().ToString("N")[..12];
        await using var gate = await CloseGateAsync();
        await using var firstSource = _schema!.NewDataSource($"pglog-first-{tag}");
        await using var secondSource = _schema.NewDataSource($"pglog-second-{tag}");
        var reader = Store();

        var slowRecords = Records("slow", slowCount);
        var fastRecords = Records("fast", fastCount);
        var slow = Task.Run(() => AppendAsync(Store(firstSource), slowRecords));
        await WaitUntilAsync(() => WaitingForLockAsync($"pglog-first-{tag}"), "the first append to stop at the gate");
        var fast = Task.Run(() => AppendAsync(Store(secondSource), fastRecords));
        await WaitUntilAsync(async () => fast.IsCompleted || await WaitingForLockAsync($"pglog-second-{tag}"), "the second append to commit or wait");

        var seen = new List<PassportEntry>();
        long cursor = 0;
        async Task<int> PollAsync()
        {
            var page = await reader.ReadAsync(cursor, 1000, CancellationToken.None);
            seen.AddRange(page);
            cursor = page.Count > 0 ? page[^1].Position : cursor;
            return page.Count;
        }
        // While the first append is still open, whether or not the second has committed, nothing is readable.
        Assert.Equal(0, await PollAsync());
        Assert.Equal(0, await reader.GetHeadAsync(CancellationToken.None));
        await gate.OpenAsync();
        Assert.All(await slow, Assert.True);
        Assert.All(await fast, Assert.True);
        await PollAsync();

        Assert.Equal(slowRecords.Concat(fastRecords).Select(r => r.MessageId), seen.Select(e => e.Record.MessageId));
        Assert.Equal(Enumerable.Range(1, slowCount + fastCount).Select(i => (long)i), seen.Select(e => e.Position));
        Assert.Equal(seen[^1].Position, await reader.GetHeadAsync(CancellationToken.None));
        Assert.Equal(0, await _schema.ScalarAsync<long>("SELECT count(*) FROM passport_log_pending"));
    }

    [Fact]
    public async Task A_reader_steps_over_the_positions_of_a_large_append_that_dies_after_taking_them()
    {
        var tag = Guid.NewGuid().ToString("N")[..12];
        await using var gate = await CloseGateAsync();
        await using var firstSource = _schema!.NewDataSource($"pgdie-first-{tag}");
        var reader = Store();

        var doomed = Task.Run(() => AppendAsync(Store(firstSource), Records("slow", 300)));
        await WaitUntilAsync(() => WaitingForLockAsync($"pgdie-first-{tag}"), "the large append to stop at the gate");
        Assert.All(await AppendAsync(Store(), Records("after", 2)), Assert.True);
        Assert.Empty(await reader.ReadAsync(0, 1000, CancellationToken.None)); // 301 and 302 wait for 1-300

        // The process holding positions 1-300 dies: its transaction aborts, and the reader goes on past them.
        Assert.Equal(1, await _schema.ScalarAsync<long>(
            $"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pgdie-first-{tag}' AND wait_event_type = 'Lock'"));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => doomed);
        // The client hears of the termination a moment before the dying backend records the abort.
        await WaitUntilAsync(async () => await _schema.ScalarAsync<long>("SELECT count(*) FROM passport_log_pending WHERE pg_xact_status(xid) = 'aborted'") == 1,
            "the killed append's transaction to be recorded as aborted");

        var entries = await reader.ReadAsync(0, 1000, CancellationToken.None);
        Assert.Equal(new long[] { 301, 302 }, entries.Select(e => e.Position));
        Assert.Equal(302, await reader.GetHeadAsync(CancellationToken.None));
        Assert.Null(await reader.FindAsync("slow-000", CancellationToken.None));
        Assert.Equal(1, await _schema.ScalarAsync<long>("SELECT count(*) FROM passport_log_pending"));

        // Its ids were not stored, so they may be captured again; the next large append sweeps its pending row.
        Assert.All(await AppendAsync(Store(), Records("again", 300)), Assert.True);
        Assert.Equal(0, await _schema.ScalarAsync<long>("SELECT count(*) FROM passport_log_pending"));
        Assert.Equal(602, await reader.GetHeadAsync(CancellationToken.None));
        Assert.Equal(602, (await reader.ReadAsync(302, 1000, CancellationToken.None))[^1].Position);
    }

    [Theory]
    [InlineData(2)] // the head lock's road: the locked head
    [InlineData(300)] // the road without it: the append's own last position
    public async Task Each_append_notifies_listeners_at_commit_with_the_position_it_reached(int count)
    {
        await using var listener = await _schema!.DataSource.OpenConnectionAsync();
        var payloads = new List<string>();
        listener.Notification += (_, e) => payloads.Add(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN {Coliseum.Processing.Notifications.Channel}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        Assert.All(await AppendAsync(Store(), Records("first", 10)), Assert.True);
        Assert.All(await AppendAsync(Store(), Records("second", count)), Assert.True);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (payloads.Count < 2)
        {
            await listener.WaitAsync(timeout.Token);
        }

        Assert.Equal([$"{_schema.Name} log 10", $"{_schema.Name} log {10 + count}"], payloads);
    }

    [Fact]
    public async Task The_log_lock_of_an_erasure_waits_for_large_appends_in_flight_and_keeps_new_ones_out_until_it_commits()
    {
        // An erasure scans the user's entries under SqlDialect.LockLog: an append that has taken positions but not
        // committed must not land one of the user's events behind the scan.
        var tag = Guid.NewGuid().ToString("N")[..12];
        await using var gate = await CloseGateAsync();
        await using var appendSource = _schema!.NewDataSource($"pglock-append-{tag}");
        await using var eraseSource = _schema.NewDataSource($"pglock-erase-{tag}");
        await using var laterSource = _schema.NewDataSource($"pglock-later-{tag}");

        var inFlight = Task.Run(() => AppendAsync(Store(appendSource), Records("slow", 300)));
        await WaitUntilAsync(() => WaitingForLockAsync($"pglock-append-{tag}"), "the large append to stop at the gate");
        await using var erase = await eraseSource.OpenConnectionAsync();
        await using var transaction = await erase.BeginTransactionAsync();
        var locking = Task.Run(async () =>
        {
            await using var lockLog = new NpgsqlCommand(Coliseum.Processing.SqlDialect.Postgres.LockLog, erase, transaction);
            await lockLog.ExecuteNonQueryAsync();
        });
        await WaitUntilAsync(() => WaitingForLockAsync($"pglock-erase-{tag}"), "the erasure to wait for the append in flight");
        Assert.False(locking.IsCompleted);

        await gate.OpenAsync();
        Assert.All(await inFlight, Assert.True);
        await locking;
        Assert.Equal(300, await _schema.ScalarAsync<long>("SELECT count(*) FROM passport_log"));

        var later = Task.Run(() => AppendAsync(Store(laterSource), Records("later", 300)));
        await WaitUntilAsync(() => WaitingForLockAsync($"pglock-later-{tag}"), "a new large append to wait for the erasure");
        Assert.False(later.IsCompleted);
        await transaction.CommitAsync();
        Assert.All(await later, Assert.True);
        Assert.Equal(600, await Store().GetHeadAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData(0)] // a small append: the ids go in with one INSERT
    [InlineData(300)] // a large one: the ids go in by COPY
    public async Task Two_appends_claiming_the_same_ids_in_opposite_orders_both_finish_without_a_deadlock(int more)
    {
        // Ids are claimed before the head lock, so two appends that share ids wait for each other in the unique
        // index. The first is held after storing "dl-a" and before "dl-b" (a BEFORE trigger, for the first's
        // connection only, waits for an advisory lock the test holds) while the second, which lists the ids the other
        // way round, runs into it. Claimed in list order, the second would hold "dl-b" and wait for "dl-a" while the
        // first then waits for "dl-b": PostgreSQL would abort one as a deadlock. Claimed in sorted order, the second
        // waits at "dl-a" holding nothing the first needs.
        var tag = Guid.NewGuid().ToString("N")[..12];
        await using var gate = await CloseGateAsync(
            $"BEFORE INSERT ON passport_message_ids FOR EACH ROW WHEN (NEW.message_id = 'dl-b' AND current_setting('application_name') = 'pgdl-first-{tag}')");
        await using var firstSource = _schema!.NewDataSource($"pgdl-first-{tag}");
        await using var secondSource = _schema.NewDataSource($"pgdl-second-{tag}");

        var firstRecords = new[] { Record("dl-a"), Record("dl-b"), Record("dl-1") }.Concat(Enumerable.Range(0, more).Select(i => Record($"dl-x-first-{i:D3}"))).ToArray();
        var secondRecords = new[] { Record("dl-b"), Record("dl-a"), Record("dl-2") }.Concat(Enumerable.Range(0, more).Select(i => Record($"dl-x-second-{i:D3}"))).ToArray();
        var first = Task.Run(() => AppendAsync(Store(firstSource), firstRecords));
        await WaitUntilAsync(() => WaitingForLockAsync($"pgdl-first-{tag}"), "the first append to stop at the gate");
        var second = Task.Run(() => AppendAsync(Store(secondSource), secondRecords));
        await WaitUntilAsync(() => WaitingForLockAsync($"pgdl-second-{tag}"), "the second append to wait for the first's ids");
        await gate.OpenAsync();

        Assert.All(await first, Assert.True);
        Assert.Equal(new[] { false, false }.Concat(Enumerable.Repeat(true, 1 + more)), await second);
        var all = await Store().ReadAsync(0, 1000, CancellationToken.None);
        var expected = firstRecords.Concat(secondRecords.Skip(2)).Select(r => r.MessageId).ToArray();
        Assert.Equal(expected, all.Select(e => e.Record.MessageId));
        Assert.Equal(Enumerable.Range(1, expected.Length).Select(i => (long)i), all.Select(e => e.Position));
        foreach (var id in expected)
        {
            Assert.Equal(id, (await Store().FindAsync(id, CancellationToken.None))!.Record.MessageId);
        }
    }

    [Fact]
    public async Task A_large_append_holding_duplicates_stores_only_the_new_ids_with_no_gap_in_positions()
    {
        // More than 256 events take the COPY road; a duplicate among them fails the ids' COPY and the claim falls
        // back to numbering the new ids only (the conformance suite's small batches take the other road).
        var store = Store();
        var first = Enumerable.Range(0, 300).Select(i => Record($"big-{i:D4}")).ToArray();
        Assert.All(await AppendAsync(store, first), Assert.True);

        var second = Enumerable.Range(290, 320).Select(i => Record($"big-{i:D4}")).ToArray(); // 290-299 are stored
        var inserted = await AppendAsync(store, second);
        Assert.Equal(Enumerable.Repeat(false, 10).Concat(Enumerable.Repeat(true, 310)), inserted);

        var all = await store.ReadAsync(0, 1000, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 610).Select(i => (long)i), all.Select(e => e.Position));
        Assert.Equal(Enumerable.Range(0, 610).Select(i => $"big-{i:D4}"), all.Select(e => e.Record.MessageId));
        Assert.Equal(610, await store.GetHeadAsync(CancellationToken.None));
        Assert.Equal(301, (await store.FindAsync("big-0300", CancellationToken.None))!.Position);
        Assert.Equal(610, (await store.FindAsync("big-0609", CancellationToken.None))!.Position);
    }

    [Fact]
    public async Task Appends_from_several_processes_at_once_get_distinct_positions_in_commit_order()
    {
        var sources = Enumerable.Range(0, 4).Select(_ => _schema!.NewDataSource()).ToArray();
        try
        {
            await Task.WhenAll(sources.Select((source, p) => Task.Run(async () =>
            {
                var store = Store(source);
                for (var batch = 0; batch < 10; batch++)
                {
                    await AppendAsync(store, Enumerable.Range(0, 5).Select(i => Record($"p{p}-{batch}-{i}")).Append(Record("shared")).ToArray());
                }
            })));

            var all = await Store().ReadAsync(0, 1000, CancellationToken.None);
            Assert.Equal(4 * 10 * 5 + 1, all.Count);
            Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => e.Position));
        }
        finally
        {
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_record_with_a_NUL_in_its_JSON_or_text_is_refused_and_nothing_of_the_batch_is_written()
    {
        var store = Store();

        var json = await Assert.ThrowsAsync<ArgumentException>(() =>
            AppendAsync(store, Record("ok-1"), Record("nul-json", metadata: """{"name":"a\u0000b"}""")));
        var text = await Assert.ThrowsAsync<ArgumentException>(() =>
            AppendAsync(store, Copy(Record("nul-text"), userId: "fan\0")));

        Assert.Contains("'nul-json': metadata contains a NUL", json.Message, StringComparison.Ordinal);
        Assert.Empty(await store.ReadAsync(0, 10, CancellationToken.None));
        // An escaped backslash followed by "u0000" is no NUL: stored, and read back with the same meaning.
        Assert.Equal(new[] { true }, await AppendAsync(store, Record("backslash", metadata: """{"path":"C:\\u0000"}""")));
        Assert.Equal("""{"path":"C:\\u0000"}""", Encoding.UTF8.GetString((await store.FindAsync("backslash", CancellationToken.None))!.Record.Metadata));
    }

    [Fact]
    public async Task Metadata_reads_back_without_jsonb_blanks_but_with_the_blanks_inside_its_strings()
    {
        var store = Store();
        const string metadata = """{"note":"a: b, \"c\" { }","list":[1, 2,{"k":null}]}""";

        await AppendAsync(store, Record("spaces", metadata: metadata));

        // jsonb puts shorter keys first; the blanks between tokens go, the ones in the string stay.
        Assert.Equal("""{"list":[1,2,{"k":null}],"note":"a: b, \"c\" { }"}""",
            Encoding.UTF8.GetString((await store.FindAsync("spaces", CancellationToken.None))!.Record.Metadata));
    }

    [Fact]
    public async Task Each_month_gets_its_partition_and_times_outside_them_go_to_the_default_one()
    {
        var store = Store();
        var monthsAgo = DateTimeOffset.UtcNow.AddMonths(-5);
        var old = new DateTimeOffset(1995, 6, 1, 0, 0, 0, TimeSpan.Zero);

        await AppendAsync(store, At("recent", monthsAgo), At("ancient", old));

        Assert.Equal($"passport_log_y{monthsAgo:yyyy}m{monthsAgo:MM}", await PartitionOfAsync("recent"));
        Assert.Equal("passport_log_default", await PartitionOfAsync("ancient"));
        Assert.Equal("p", await _schema!.ScalarAsync<string>("SELECT relkind::text FROM pg_class WHERE oid = 'passport_log'::regclass"));
        Assert.Equal("jsonb", await _schema.ScalarAsync<string>("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'passport_log'::regclass AND attname = 'metadata'"));
    }

    [Fact]
    public async Task Making_a_month_partition_moves_that_month_s_rows_out_of_the_default_one()
    {
        var store = Store();
        // Beyond next month, so the store leaves it to DEFAULT; later that month's partition is made.
        var later = DateTimeOffset.UtcNow.AddMonths(3);
        await AppendAsync(store, At("early-bird", later));
        Assert.Equal("passport_log_default", await PartitionOfAsync("early-bird"));

        await ExecuteAsync($"SELECT passport_log_make_month(DATE '{later:yyyy-MM}-01')");

        Assert.Equal($"passport_log_y{later:yyyy}m{later:MM}", await PartitionOfAsync("early-bird"));
        Assert.Equal("early-bird", (await store.FindAsync("early-bird", CancellationToken.None))!.Record.MessageId);
    }

    private static PassportRecord At(string messageId, DateTimeOffset at) => Copy(Record(messageId), occurredAt: at.ToUnixTimeMilliseconds());

    private static PassportRecord Copy(PassportRecord r, string? userId = null, long? occurredAt = null) => new()
    {
        MessageId = r.MessageId,
        EventType = r.EventType,
        EventCategory = r.EventCategory,
        UserId = userId ?? r.UserId,
        AnonymousId = r.AnonymousId,
        SessionId = r.SessionId,
        DeviceId = r.DeviceId,
        EntityType = r.EntityType,
        EntityId = r.EntityId,
        Metadata = r.Metadata,
        Context = r.Context,
        OccurredAt = occurredAt ?? r.OccurredAt,
        ClientAt = r.ClientAt,
        SentAt = r.SentAt,
        ReceivedAt = r.ReceivedAt,
        Source = r.Source,
        Warnings = r.Warnings,
    };

    private Task<string> PartitionOfAsync(string messageId) =>
        _schema!.ScalarAsync<string>($"SELECT tableoid::regclass::text FROM passport_log WHERE message_id = '{messageId}'");
}
