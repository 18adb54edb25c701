using Coliseum.Storage.Postgres;
using System.Text.Json.Nodes;
using Npgsql;

namespace Coliseum.Bench;

/// <summary>
/// Issue 5's PostgreSQL figures, each beside a baseline measured in the same run:
/// <list type="bullet">
/// <item><c>copy</c>: batch capture over HTTP vs. binary COPY of the same rows straight into passport_log (target ≥ 0.5×; a plain unindexed table beside),
/// with the store's own appends in between;</item>
/// <item><c>single</c>: single-event capture on SQLite and on PostgreSQL, alternating;</item>
/// <item><c>rebuild</c>: every consumer rebuilt from the same log on SQLite and on PostgreSQL;</item>
/// <item><c>three</c>: three <c>coliseum serve</c> processes on one database vs. one.</item>
/// </list>
/// The server is named by <c>COLISEUM_BENCH_POSTGRES</c> (else <c>COLISEUM_TEST_POSTGRES</c>), an Npgsql connection
/// string; every measurement works in a schema of its own (<c>bench_…</c>), dropped afterwards. The server's
/// durability settings are read back into the report: figures taken with fsync off say so.
/// </summary>
internal static partial class PostgresBenchmark
{
    private const double CopyTarget = 0.5;
    private static readonly string[] AllParts = ["copy", "single", "rebuild", "three"];

    /// <summary>The PostgreSQL server's postmaster, when it runs on this machine (for its CPU time).</summary>
    private static int? s_postmaster;

    public static async Task<JsonObject> RunAsync(BenchOptions options)
    {
        var connection = ConnectionString();
        var parts = options.Parts?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? AllParts;
        if (parts.Except(AllParts).FirstOrDefault() is { } unknown)
        {
            throw new ArgumentException($"unknown part '{unknown}'; parts: {string.Join(", ", AllParts)}");
        }
        var result = new JsonObject { ["postgres"] = await SettingsAsync(connection) };

        List<byte[]>? bodies = null;
        var events = options.Events ?? 200_000;
        if (parts.Contains("copy") || parts.Contains("three"))
        {
            Scratch.Progress($"generating {events:N0} events in bodies of {options.PerBatch}");
            bodies = Workload.Batches(events / options.PerBatch, options.PerBatch, seed: 42);
            result["workload"] = new JsonObject
            {
                ["events"] = bodies.Count * options.PerBatch,
                ["eventsPerRequest"] = options.PerBatch,
                ["averageEventBytes"] = Math.Round((double)bodies.Sum(b => (long)b.Length) / (bodies.Count * options.PerBatch)),
                ["messageIds"] = "uuid-v7",
                ["processing"] = "off in every server (capture only), so capture is measured alone on both backends",
            };
        }
        foreach (var part in parts)
        {
            // The machine is shared: the load average around each part says how quiet it was.
            var loadBefore = LoadAverage();
            var figures = part switch
            {
                "copy" => await CopyPartAsync(connection, bodies!, options),
                "single" => await SinglePartAsync(connection, options),
                "rebuild" => await RebuildPartAsync(connection, options),
                _ => await ThreePartAsync(connection, bodies!, options),
            };
            figures["loadAverage1m"] = new JsonObject { ["before"] = loadBefore, ["after"] = LoadAverage() };
            result[part] = figures;
        }
        return result;
    }

    private static double LoadAverage() => File.Exists("/proc/loadavg")
        ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)
        : -1;

    private static string ConnectionString() =>
        Environment.GetEnvironmentVariable("COLISEUM_BENCH_POSTGRES") is { Length: > 0 } bench ? bench
        : Environment.GetEnvironmentVariable("COLISEUM_TEST_POSTGRES") is { Length: > 0 } test ? test
        : throw new InvalidOperationException(
            "set COLISEUM_BENCH_POSTGRES (or COLISEUM_TEST_POSTGRES) to an Npgsql connection string; see docs/performance.md for a durable throwaway server");

    /// <summary>What the figures were taken with: the version and the settings that decide what a commit costs.</summary>
    private static async Task<JsonObject> SettingsAsync(string connection)
    {
        await using var source = NpgsqlDataSource.Create(connection);
        await using var command = source.CreateCommand("""
            SELECT name, setting || coalesce(' ' || unit, '') FROM pg_settings
            WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method',
                           'shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'wal_level', 'max_connections')
            ORDER BY name
            """);
        var settings = new JsonObject();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                settings[reader.GetString(0)] = reader.GetString(1);
            }
        }
        await using (var backend = source.CreateCommand("SELECT pg_backend_pid()"))
        {
            // Only when the server runs on this machine: then its processes' CPU time can be read from /proc.
            s_postmaster = CpuTime.Postmaster((int)(await backend.ExecuteScalarAsync())!);
        }
        var builder = new NpgsqlConnectionStringBuilder(connection);
        settings["host"] = $"{builder.Host}:{builder.Port}";
        if (settings["fsync"]?.GetValue<string>() != "on" || settings["synchronous_commit"]?.GetValue<string>() != "on")
        {
            settings["warning"] = "not durable: fsync or synchronous_commit is off, so commits cost less than in production";
            Scratch.Progress("WARNING: the server runs with fsync or synchronous_commit off; the figures are not durable ones");
        }
        return settings;
    }

    private static string NewSchema(string name) => $"bench_{name}_{Guid.NewGuid().ToString("N")[..12]}";

    /// <summary>
    /// Starts each measurement with no dirty buffers left by the one before (200,000 rows write ~0.5 GB of WAL, and
    /// max_wal_size would otherwise make a checkpoint land in whichever measurement comes next). Needs superuser
    /// or pg_checkpoint; without them the measurement goes on as it is.
    /// </summary>
    private static async Task CheckpointAsync(string connection)
    {
        try
        {
            await using var source = NpgsqlDataSource.Create(connection);
            await using var checkpoint = source.CreateCommand("CHECKPOINT");
            await checkpoint.ExecuteNonQueryAsync();
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
        }
    }

    /// <summary>A fresh schema made by the store's own migrations, with a store on it; dropped when disposed.</summary>
    private sealed class MigratedSchema(string connection, NpgsqlDataSource source, PostgresPassportStore store) : IAsyncDisposable
    {
        public NpgsqlDataSource Source => source;
        public PostgresPassportStore Store => store;

        public static async Task<MigratedSchema> CreateAsync(string connection, string name)
        {
            var schema = NewSchema(name);
            var source = PostgresDataSource.Create(connection, schema);
            var store = new PostgresPassportStore(source, schema);
            await store.InitializeAsync(CancellationToken.None);
            return new MigratedSchema(connection, source, store);
        }

        public async ValueTask DisposeAsync()
        {
            await store.DisposeAsync();
            await source.DisposeAsync();
            await DropSchemaAsync(connection, store.Schema);
        }
    }

    private static async Task DropSchemaAsync(string connection, string schema)
    {
        await using var source = NpgsqlDataSource.Create(connection);
        await using var drop = source.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
        await drop.ExecuteNonQueryAsync();
    }
}
