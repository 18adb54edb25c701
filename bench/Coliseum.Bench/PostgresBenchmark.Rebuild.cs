using System.Text.Json.Nodes;
using Coliseum.Processing;
using Coliseum.Storage.Postgres;
using Coliseum.Storage.Sqlite;

namespace Coliseum.Bench;

/// <summary>Part 3: every consumer rebuilt (what <c>coliseum replay</c> does) from the same log on SQLite and on PostgreSQL.</summary>
internal static partial class PostgresBenchmark
{
    private static async Task<JsonObject> RebuildPartAsync(string connection, BenchOptions options)
    {
        var events = options.RebuildEvents;
        var processing = new ProcessingOptions();
        processing.ReplayBatchSize = options.ReplayBatch ?? processing.ReplayBatchSize;
        var result = new JsonObject { ["events"] = events, ["replayBatchSize"] = processing.ReplayBatchSize, ["seed"] = options.Seed };

        // SQLite first: the baseline, as `rebuild` measures it, on the same MusicWorkload log.
        await using (var sqlite = new SqlitePassportStore(Path.Combine(Scratch.Directory("rebuild-sqlite"), "coliseum.db")))
        {
            await sqlite.InitializeAsync(CancellationToken.None);
            var load = await RebuildBenchmark.LoadAsync(sqlite, events, options.Seed);
            var rebuild = await RebuildBenchmark.RebuildAsync(sqlite, sqlite, processing, events);
            rebuild["load"] = load["load"]!.DeepClone();
            result["sqlite"] = Summarise(rebuild, events);
        }

        var schema = NewSchema("rebuild");
        try
        {
            await using var source = PostgresDataSource.Create(connection, schema);
            await using var log = new PostgresPassportStore(source, schema);
            await log.InitializeAsync(CancellationToken.None);
            var load = await RebuildBenchmark.LoadAsync(log, events, options.Seed);
            await CheckpointAsync(connection);
            var rebuild = await RebuildBenchmark.RebuildAsync(log, log, processing, events);
            rebuild["load"] = load["load"]!.DeepClone();
            result["postgres"] = Summarise(rebuild, events);
        }
        finally
        {
            await DropSchemaAsync(connection, schema);
        }
        var sqliteRate = result["sqlite"]!["totalEventsPerSecond"]!.GetValue<double>();
        var postgresRate = result["postgres"]!["totalEventsPerSecond"]!.GetValue<double>();
        result["ratioPostgresToSqlite"] = Math.Round(postgresRate / sqliteRate, 3);
        Scratch.Progress($"rebuild: SQLite {sqliteRate:N0} events/s, PostgreSQL {postgresRate:N0} events/s");
        return result;
    }

    private static JsonObject Summarise(JsonObject rebuild, int events)
    {
        rebuild["totalEventsPerSecond"] = Math.Round(events / rebuild["totalSeconds"]!.GetValue<double>());
        return rebuild;
    }
}
