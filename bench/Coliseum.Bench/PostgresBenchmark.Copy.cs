using System.Diagnostics;
using System.Text.Json.Nodes;
using Coliseum.Capture;
using Coliseum.Storage.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Coliseum.Bench;

/// <summary>Part 1 without HTTP: the COPY baseline, what each of passport_log's parts adds to it, and the store's appends.</summary>
internal static partial class PostgresBenchmark
{
    /// <summary>
    /// Part 1: (a) binary COPY straight into passport_log (and, stricter, into a plain unindexed table), before and
    /// after; (b) the store's appends in group-commit sizes; (c) batch capture over HTTP. The target compares (c) with (a).
    /// </summary>
    private static async Task<JsonObject> CopyPartAsync(string connection, List<byte[]> bodies, BenchOptions options)
    {
        var records = CaptureBenchmark.Records(bodies, options.PerBatch);
        var maxCommit = new CaptureOptions().MaxCommitEvents;
        var before = await CopyBaselineAsync(connection, records, maxCommit);

        var appends = new JsonArray();
        foreach (var size in new[] { 500, 2_500, maxCommit })
        {
            var rate = await StoreAppendAsync(connection, records, size);
            appends.Add(new JsonObject { ["eventsPerTransaction"] = size, ["eventsPerSecond"] = Math.Round(rate) });
        }

        var anatomy = await CopyAnatomyAsync(connection, records, maxCommit);
        JsonObject http;
        try
        {
            http = await HttpBatchAsync(connection, bodies, options, () => CopyIntoLogAsync(connection, records, maxCommit));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException)
        {
            // Reported, not hidden: the store figures above still stand beside their baseline.
            Scratch.Progress($"http batch on PostgreSQL failed: {ex.Message}");
            http = new JsonObject { ["failed"] = ex.GetType().Name + ": " + ex.Message };
        }
        var after = await CopyBaselineAsync(connection, records, maxCommit);
        var plain = (Best(before) + Best(after)) / 2;
        var baseline = (before["passportLog"]!.GetValue<double>() + after["passportLog"]!.GetValue<double>()) / 2;
        foreach (var append in appends)
        {
            append!["ratioToCopy"] = Math.Round(append["eventsPerSecond"]!.GetValue<double>() / baseline, 3);
            append["ratioToPlainTable"] = Math.Round(append["eventsPerSecond"]!.GetValue<double>() / plain, 3);
        }
        double? ratio = null;
        if (http["medianRatioToCopy"] is { } median)
        {
            ratio = median.GetValue<double>();
            var rateHttp = http["eventsPerSecond"]!.GetValue<double>();
            http["ratioToPlainTable"] = Math.Round(rateHttp / plain, 3);
            Scratch.Progress($"batch capture on PostgreSQL: median of {http["rounds"]!.AsArray().Count} rounds {rateHttp:N0} events/s, ratio to COPY into passport_log measured around each round {ratio:N3} (target {CopyTarget}); plain table {plain:N0}, ratio {rateHttp / plain:N3}");
        }
        return new JsonObject
        {
            ["copyBaseline"] = new JsonObject
            {
                ["what"] = "binary COPY of the same validated rows straight into passport_log as the migrations make it (month partitions, DEFAULT, position index; no message-id table, no head lock), in group-commit transactions, synchronous_commit on: the target's baseline",
                ["before"] = before,
                ["after"] = after,
                ["eventsPerSecond"] = Math.Round(baseline),
                ["plainTableEventsPerSecond"] = Math.Round(plain),
                ["plainTableWhat"] = "the same COPY into a plain table with passport_log's columns and no index at all: the faster of one transaction and group-commit transactions, averaged before and after; a stricter floor, reported beside",
            },
            ["copyAnatomy"] = anatomy,
            ["storeAppend"] = new JsonObject
            {
                ["what"] = "PostgresPassportStore.AppendAsync, one call per transaction, one thread, in group-commit sizes (capture's MaxCommitEvents is " + maxCommit + ")",
                ["runs"] = appends,
            },
            ["httpBatch"] = http,
            ["ratio"] = ratio is { } r ? Math.Round(r, 3) : null,
            ["target"] = CopyTarget,
            ["met"] = ratio is { } m ? m >= CopyTarget : null,
        };
    }

    private static double Best(JsonObject pass) => Math.Max(pass["oneTransaction"]!.GetValue<double>(), pass["perGroupCommit"]!.GetValue<double>());

    /// <summary>The floor: the same rows, COPY'd in one transaction, then in transactions of <paramref name="chunk"/> rows.</summary>
    private static async Task<JsonObject> CopyBaselineAsync(string connection, List<PassportRecord> records, int chunk)
    {
        var schema = NewSchema("copy");
        try
        {
            await using var source = NpgsqlDataSource.Create(connection);
            await using (var create = source.CreateCommand($"""
                CREATE SCHEMA {schema};
                CREATE TABLE {schema}.passport_log_copy (
                    position bigint NOT NULL, message_id text COLLATE "C" NOT NULL, event_type text COLLATE "C" NOT NULL,
                    event_category text COLLATE "C" NOT NULL, user_id text COLLATE "C", anonymous_id text COLLATE "C",
                    session_id text COLLATE "C", device_id text COLLATE "C", entity_type text COLLATE "C", entity_id text COLLATE "C",
                    metadata jsonb NOT NULL, context jsonb, occurred_at bigint NOT NULL, client_at bigint NOT NULL, sent_at bigint,
                    received_at bigint NOT NULL, source text NOT NULL, warnings text)
                """))
            {
                await create.ExecuteNonQueryAsync();
            }
            var table = $"{schema}.passport_log_copy";
            // Unmeasured: the first COPY of a process JIT-compiles Npgsql's binary import.
            await TimeCopyAsync(source, table, records, chunk, count: Math.Min(records.Count, 4 * chunk));
            await TruncateAsync(source, table);
            await CheckpointAsync(connection);
            var whole = await TimeCopyAsync(source, table, records, records.Count);
            await TruncateAsync(source, table);
            await CheckpointAsync(connection);
            var chunked = await TimeCopyAsync(source, table, records, chunk);
            var intoLog = await CopyIntoLogAsync(connection, records, chunk);
            Scratch.Progress($"COPY baseline: plain table one transaction {whole:N0} events/s, {chunk:N0} per transaction {chunked:N0} events/s; passport_log {intoLog:N0} events/s");
            return new JsonObject { ["oneTransaction"] = Math.Round(whole), ["perGroupCommit"] = Math.Round(chunked), ["groupCommitRows"] = chunk, ["passportLog"] = Math.Round(intoLog) };
        }
        finally
        {
            await DropSchemaAsync(connection, schema);
        }
    }

    /// <summary>
    /// The target's baseline: the rows COPY'd straight into passport_log as the migrations make it (month partitions,
    /// DEFAULT, position index) on a fresh schema, in transactions of <paramref name="chunk"/> rows: no message-id
    /// table, no head lock, no Coliseum.
    /// </summary>
    private static async Task<double> CopyIntoLogAsync(string connection, List<PassportRecord> records, int chunk)
    {
        await using var log = await MigratedSchema.CreateAsync(connection, "copylog");
        await TimeCopyAsync(log.Source, "passport_log", records, chunk, count: Math.Min(records.Count, 4 * chunk));
        await TruncateAsync(log.Source, "passport_log");
        await CheckpointAsync(connection);
        return await TimeCopyAsync(log.Source, "passport_log", records, chunk);
    }

    private const string CopyColumns = Coliseum.Storage.StoreRows.EntryColumns;

    /// <summary>
    /// COPYs <paramref name="records"/> into <paramref name="table"/> in transactions of <paramref name="chunk"/> rows;
    /// with <paramref name="idsTable"/>, each transaction first COPYs the message ids there (with an append id and ordinal), as the store does.
    /// </summary>
    private static async Task<double> TimeCopyAsync(NpgsqlDataSource source, string table, List<PassportRecord> records, int chunk, string? idsTable = null, int? count = null)
    {
        var total = count ?? records.Count;
        var started = Stopwatch.GetTimestamp();
        await using var connection = await source.OpenConnectionAsync();
        for (var offset = 0; offset < total; offset += chunk)
        {
            var end = Math.Min(total, offset + chunk);
            await using var transaction = await connection.BeginTransactionAsync();
            if (idsTable is not null)
            {
                await using var ids = await PostgresCopyWriter.BeginAsync(connection, $"{idsTable} (message_id, append_id, ordinal)", default);
                for (var i = offset; i < end; i++)
                {
                    ids.WriteId(records[i].MessageId, offset, i - offset + 1);
                }
                await ids.CompleteAsync(default);
            }
            await using (var copy = await PostgresCopyWriter.BeginAsync(connection, $"{table} ({CopyColumns})", default))
            {
                for (var i = offset; i < end; i++)
                {
                    copy.WriteEntry(records[i], i + 1); // exactly as the store writes it
                }
                await copy.CompleteAsync(default);
            }
            await transaction.CommitAsync();
        }
        return total / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static async Task TruncateAsync(NpgsqlDataSource source, string table)
    {
        await using var truncate = source.CreateCommand($"TRUNCATE {table}");
        await truncate.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Not a baseline, an explanation: COPY in group-commit transactions into tables that add, one at a time, what
    /// passport_log has and the plain table lacks. The store adds its head lock, the stored-id lookup and the head
    /// update on top of the last one.
    /// </summary>
    private static async Task<JsonObject> CopyAnatomyAsync(string connection, List<PassportRecord> records, int chunk)
    {
        var result = new JsonObject { ["eventsPerTransaction"] = chunk };
        var schema = NewSchema("anatomy");
        try
        {
            await using (var plain = NpgsqlDataSource.Create(connection))
            {
                await using var create = plain.CreateCommand($"""
                    CREATE SCHEMA {schema};
                    CREATE TABLE {schema}.indexed (
                        position bigint NOT NULL, message_id text COLLATE "C" NOT NULL, event_type text COLLATE "C" NOT NULL,
                        event_category text COLLATE "C" NOT NULL, user_id text COLLATE "C", anonymous_id text COLLATE "C",
                        session_id text COLLATE "C", device_id text COLLATE "C", entity_type text COLLATE "C", entity_id text COLLATE "C",
                        metadata jsonb NOT NULL, context jsonb, occurred_at bigint NOT NULL, client_at bigint NOT NULL, sent_at bigint,
                        received_at bigint NOT NULL, source text NOT NULL, warnings text);
                    CREATE INDEX ON {schema}.indexed (position);
                    CREATE TABLE {schema}.ids (message_id text COLLATE "C" PRIMARY KEY, position bigint, append_id bigint, ordinal integer);
                    """);
                await create.ExecuteNonQueryAsync();
                await CheckpointAsync(connection);
                result["plusPositionIndex"] = Math.Round(await TimeCopyAsync(plain, $"{schema}.indexed", records, chunk));
                await TruncateAsync(plain, $"{schema}.indexed");
                await CheckpointAsync(connection);
                result["plusPositionIndexAndIdsTable"] = Math.Round(await TimeCopyAsync(plain, $"{schema}.indexed", records, chunk, $"{schema}.ids"));
            }
            // The real tables, made by the migrations: partitioned by month, DEFAULT partition, position index, ids table.
            await using (var log = await MigratedSchema.CreateAsync(connection, "anatomy_log"))
            {
                await CheckpointAsync(connection);
                result["passportLogTablesNoLock"] = Math.Round(await TimeCopyAsync(log.Source, "passport_log", records, chunk, "passport_message_ids"));
            }
            Scratch.Progress($"COPY anatomy: {result.ToJsonString()}");
            return result;
        }
        finally
        {
            await DropSchemaAsync(connection, schema);
        }
    }


    /// <summary>The store itself on a fresh schema, one append per <paramref name="size"/> records, as the group commit calls it.</summary>
    private static async Task<double> StoreAppendAsync(string connection, List<PassportRecord> records, int size)
    {
        await using var schema = await MigratedSchema.CreateAsync(connection, "append");
        await CheckpointAsync(connection);
        var inserted = new bool[size];
        var started = Stopwatch.GetTimestamp();
        for (var offset = 0; offset < records.Count; offset += size)
        {
            await schema.Store.AppendAsync(records.GetRange(offset, Math.Min(size, records.Count - offset)), inserted, CancellationToken.None);
        }
        var rate = records.Count / Stopwatch.GetElapsedTime(started).TotalSeconds;
        Scratch.Progress($"PostgresPassportStore, {size:N0} per append: {rate:N0} events/s");
        return rate;
    }
}
