using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Coliseum.Processing;
using Coliseum.Reports;
using Coliseum.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coliseum.Bench;

/// <summary>
/// Report computation over a rebuilt log: the artist report for the most played artist over the whole
/// span (many repetitions, p50/p99), beside a baseline measured in the same run and on the same store:
/// opening a report's read snapshot and reading the consumer cursors (what every report pays before its
/// first query). The other report types are timed too, for information. Also the capture cost of the
/// passport_log user index (for GET /api/passport/me): the same log appended with and without it.
/// </summary>
internal static class ReportBenchmark
{
    private const double TargetMs = 100;

    public static async Task<JsonObject> RunAsync(BenchOptions options)
    {
        var events = options.Events ?? 1_000_000;
        var repetitions = options.Repetitions;
        var processing = new ProcessingOptions();

        var path = Path.Combine(Scratch.Directory("report"), "coliseum.db");
        await using var main = new SqlitePassportStore(path);
        await main.InitializeAsync(CancellationToken.None);
        var workload = await RebuildBenchmark.LoadAsync(main, events, options.Seed);
        var rebuildStarted = Stopwatch.GetTimestamp();
        var processor = new Processor(main, main, processing, new LogSignal(), NullLoggerFactory.Instance, TimeProvider.System);
        foreach (var runner in processor.Runners)
        {
            await runner.ResetAsync(CancellationToken.None);
            await runner.CatchUpAsync(processing.ReplayBatchSize, null, CancellationToken.None);
            await runner.ReleaseAsync(CancellationToken.None);
        }
        var rebuildSeconds = Stopwatch.GetElapsedTime(rebuildStarted).TotalSeconds;
        Scratch.Progress($"rebuilt {events:N0} events in {rebuildSeconds:N1} s");

        var artist = Sql.Scalar(path, "SELECT COUNT(*) FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_plays' AND time_window = 'all_time'") > 0
            ? Text(path, "SELECT entity_id FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_plays' AND time_window = 'all_time' AND rank = 1") : "artist-1";
        var eventId = Text(path, "SELECT entity_id FROM coliseum_leaderboards WHERE leaderboard_id = 'top_events_by_attendance' AND time_window = 'all_time' AND rank = 1") ?? "event-1";
        var fan = Text(path, "SELECT entity_id FROM coliseum_leaderboards WHERE leaderboard_id = 'top_fans_by_attendance' AND time_window = 'all_time' AND rank = 1") ?? "user-1";
        var from = DateOnly.FromDateTime(DateTime.UnixEpoch.AddMilliseconds(RebuildBenchmark.StartMs));
        var to = DateOnly.FromDateTime(DateTime.UnixEpoch.AddMilliseconds(RebuildBenchmark.StartMs + RebuildBenchmark.SpanMs - 1));
        string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var artistParams = new ReportParams { ArtistId = artist, From = D(from), To = D(to) };

        async Task<double> ArtistAsync() => await TimeAsync(() => ReportWorker.ComputeAsync(main, processing, "artist", artistParams, CancellationToken.None));
        async Task<double> BaselineAsync() => await TimeAsync(async () =>
        {
            await using var db = await ReportReader.OpenAsync(main, processing, CancellationToken.None);
            await db.PositionsAsync(CancellationToken.None);
        });

        for (var i = 0; i < 5; i++)
        {
            await ArtistAsync();
            await BaselineAsync();
        }
        var artistTimes = new List<double>();
        var baselineTimes = new List<double>();
        for (var i = 0; i < repetitions; i++)
        {
            // Interleaved, so both see the same conditions (page cache, other load on the machine).
            artistTimes.Add(await ArtistAsync());
            baselineTimes.Add(await BaselineAsync());
        }
        var (_, sample) = await ReportWorker.ComputeAsync(main, processing, "artist", artistParams, CancellationToken.None);
        var result = System.Text.Json.JsonSerializer.Deserialize(sample, ReportsJsonContext.Default.ArtistReport)!;

        var others = new JsonObject();
        foreach (var (type, p) in new (string, ReportParams)[]
        {
            ("event", new ReportParams { EventId = eventId }),
            ("passport", new ReportParams { UserId = fan, From = D(from), To = D(to) }),
            ("platform", new ReportParams { Day = D(from.AddDays((to.DayNumber - from.DayNumber) / 2)) }),
        })
        {
            var times = new List<double>();
            for (var i = 0; i < Math.Max(5, repetitions / 10); i++)
            {
                times.Add(await TimeAsync(() => ReportWorker.ComputeAsync(main, processing, type, p, CancellationToken.None)));
            }
            others[type] = new JsonObject { ["params"] = System.Text.Json.JsonSerializer.Serialize(p, ReportsJsonContext.Default.ReportParams), ["p50Ms"] = Percentile(times, 0.5), ["p99Ms"] = Percentile(times, 0.99), ["repetitions"] = times.Count };
        }

        var p50 = Percentile(artistTimes, 0.5);
        var p99 = Percentile(artistTimes, 0.99);
        var baseP50 = Percentile(baselineTimes, 0.5);
        Scratch.Progress($"artist report p50 {p50:N2} ms, p99 {p99:N2} ms; baseline p50 {baseP50:N3} ms");
        return new JsonObject
        {
            ["workload"] = workload,
            ["rebuildSeconds"] = Math.Round(rebuildSeconds, 1),
            ["artistReport"] = new JsonObject
            {
                ["artistId"] = artist,
                ["from"] = D(from),
                ["to"] = D(to),
                ["plays"] = result.Plays,
                ["uniqueListeners"] = result.UniqueListeners,
                ["repetitions"] = repetitions,
                ["p50Ms"] = p50,
                ["p99Ms"] = p99,
                ["maxMs"] = Math.Round(artistTimes.Max(), 2),
                ["ratioToBaselineP50"] = Math.Round(p50 / baseP50, 1),
                ["target"] = new JsonObject { ["ms"] = TargetMs, ["met"] = p99 <= TargetMs },
            },
            ["baseline"] = new JsonObject
            {
                ["what"] = "open a report's read connection and snapshot, read the three consumer cursors (same store, interleaved with the artist report)",
                ["p50Ms"] = baseP50,
                ["p99Ms"] = Percentile(baselineTimes, 0.99),
            },
            ["otherReports"] = others,
        };
    }

    private static async Task<double> TimeAsync(Func<Task> work)
    {
        var started = Stopwatch.GetTimestamp();
        await work();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static double Percentile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return Math.Round(sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)], 3);
    }

    private static string? Text(string path, string sql)
    {
        using var connection = Sql.OpenReadOnly(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() as string;
    }
}
