using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Capture;
using Coliseum.Processing;
using Coliseum.Storage;
using Coliseum.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coliseum.Bench;

/// <summary>
/// Rebuilding every consumer's tables from the log (what <c>coliseum replay</c> does), beside a
/// baseline measured in the same run: a read-only pass over the same log that reads each batch and
/// parses each entry's metadata, the floor any consumer pays.
/// </summary>
internal static class RebuildBenchmark
{
    private const int AppendBatch = 5_000;
    internal const long SpanMs = 30L * 86_400_000;
    private const double TargetEventsPerSecond = 150_000;
    internal static readonly long StartMs = new DateTimeOffset(2026, 10, 26, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    public static async Task<JsonObject> RunAsync(BenchOptions options)
    {
        var events = options.Events ?? 1_000_000;
        var processing = new ProcessingOptions();
        processing.ReplayBatchSize = options.ReplayBatch ?? processing.ReplayBatchSize;
        var batch = processing.ReplayBatchSize;
        var path = Path.Combine(Scratch.Directory("rebuild"), "coliseum.db");
        await using var store = new SqlitePassportStore(path);
        await store.InitializeAsync(CancellationToken.None);

        var result = new JsonObject { ["workload"] = await LoadAsync(store, events, options.Seed) };
        var logBytes = DatabaseBytes(path);

        // The baseline runs twice before (the first pass fills the page cache and warms the JIT; the second
        // is measured) and once after the rebuild, so the figure brackets the rebuild's conditions.
        await BaselineAsync(store, batch);
        var before = await BaselineAsync(store, batch);
        var rebuild = await RebuildAsync(store, store, processing, events);
        var after = await BaselineAsync(store, batch);
        var baselineRate = (before.Rate + after.Rate) / 2;
        result["baseline"] = new JsonObject
        {
            ["what"] = "ReadAsync in batches of the replay batch size + JsonDocument.Parse of each entry's metadata",
            ["batchSize"] = batch,
            ["eventsPerSecondBefore"] = Math.Round(before.Rate),
            ["eventsPerSecondAfter"] = Math.Round(after.Rate),
            ["eventsPerSecond"] = Math.Round(baselineRate),
            ["averageMetadataBytes"] = Math.Round((double)before.Bytes / Math.Max(1, before.Events)),
        };

        var total = rebuild["totalSeconds"]!.GetValue<double>();
        var rate = events / total;
        rebuild["totalEventsPerSecond"] = Math.Round(rate);
        rebuild["ratioToBaseline"] = Math.Round(rate / baselineRate, 3);
        rebuild["target"] = new JsonObject
        {
            ["eventsPerSecond"] = TargetEventsPerSecond,
            ["met"] = rate >= TargetEventsPerSecond,
            ["consumersMeasured"] = rebuild["consumers"]!.AsArray().Count,
            ["note"] = "the target is for all three consumers (coliseum, treasury, mediaid); the consumers measured are the ones Processor runs today",
        };
        foreach (var consumer in rebuild["consumers"]!.AsArray())
        {
            consumer!["ratioToBaseline"] = Math.Round(consumer["eventsPerSecond"]!.GetValue<double>() / baselineRate, 3);
        }
        result["rebuild"] = rebuild;
        result["database"] = Tables(path, logBytes, events);
        Scratch.Progress($"rebuild: {rate:N0} events/s through {rebuild["consumers"]!.AsArray().Count} consumer(s), baseline {baselineRate:N0} events/s, ratio {rate / baselineRate:N3}");
        return result;
    }

    /// <summary>Generates, validates and appends the workload in transactions of 5,000 (not part of the measured figures).</summary>
    internal static async Task<JsonObject> LoadAsync(IPassportStore store, int events, int seed)
    {
        Scratch.Progress($"generating and appending {events:N0} events");
        var catalogue = new MusicCatalogue(seed, StartMs, SpanMs);
        var workload = new MusicWorkload(catalogue, seed);
        var validator = new EventValidator(new CaptureOptions());
        var buffer = new ArrayBufferWriter<byte>(4096);
        using var writer = new Utf8JsonWriter(buffer, MusicWorkload.WriterOptions);
        var records = new List<PassportRecord>(AppendBatch);
        var inserted = new bool[AppendBatch];
        var types = new Dictionary<string, long>(StringComparer.Ordinal);
        long jsonBytes = 0;
        double appendSeconds = 0;
        var started = Stopwatch.GetTimestamp();

        async Task AddAsync(Action<Utf8JsonWriter> write, long nominal)
        {
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            write(writer);
            writer.Flush();
            jsonBytes += buffer.WrittenCount;
            using var document = JsonDocument.Parse(buffer.WrittenMemory);
            if (!validator.TryValidate(document.RootElement, nominal + 1_000, "import", out var record, out var error))
            {
                throw new InvalidOperationException($"generated event is invalid: {error.Message}");
            }
            records.Add(record);
            types[record.EventType] = types.GetValueOrDefault(record.EventType) + 1;
            if (records.Count == AppendBatch)
            {
                await FlushAsync();
            }
        }

        async Task FlushAsync()
        {
            var appending = Stopwatch.GetTimestamp();
            await store.AppendAsync(records, inserted, CancellationToken.None);
            appendSeconds += Stopwatch.GetElapsedTime(appending).TotalSeconds;
            records.Clear();
        }

        var announced = 0;
        foreach (var announcement in workload.Announcements(StartMs).Take(events))
        {
            await AddAsync(announcement, StartMs);
            announced++;
        }
        var rest = events - announced;
        for (var i = 0; i < rest; i++)
        {
            var nominal = StartMs + (long)((double)i * SpanMs / rest);
            await AddAsync(w => workload.Next(w, nominal, nominal), nominal);
        }
        if (records.Count > 0)
        {
            await FlushAsync();
        }
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Scratch.Progress($"loaded {events:N0} events in {seconds:N1} s ({appendSeconds:N1} s appending)");
        var mix = new JsonObject();
        foreach (var (type, count) in types.OrderByDescending(t => t.Value))
        {
            mix[type] = Math.Round(100.0 * count / events, 2);
        }
        return new JsonObject
        {
            ["events"] = events,
            ["seed"] = seed,
            ["artists"] = catalogue.Artists,
            ["tracks"] = catalogue.TrackArtist.Length,
            ["users"] = catalogue.Users,
            ["liveEvents"] = catalogue.Events.Length,
            ["announcements"] = announced,
            ["days"] = SpanMs / 86_400_000,
            ["averageEventJsonBytes"] = Math.Round((double)jsonBytes / events),
            ["typeMixPercent"] = mix,
            ["load"] = new JsonObject
            {
                ["note"] = "info only: generation + validation + append in transactions of 5,000, one thread",
                ["seconds"] = Math.Round(seconds, 1),
                ["appendSeconds"] = Math.Round(appendSeconds, 1),
                ["appendEventsPerSecond"] = Math.Round(events / appendSeconds),
            },
        };
    }

    private readonly record struct Pass(double Seconds, long Events, long Bytes)
    {
        public double Rate => Events / Seconds;
    }

    private static async Task<Pass> BaselineAsync(SqlitePassportStore store, int batch)
    {
        var started = Stopwatch.GetTimestamp();
        long after = 0, events = 0, bytes = 0;
        while (true)
        {
            var entries = await store.ReadAsync(after, batch, CancellationToken.None);
            if (entries.Count == 0)
            {
                break;
            }
            foreach (var entry in entries)
            {
                using var document = JsonDocument.Parse(entry.Record.Metadata);
                bytes += entry.Record.Metadata.Length;
            }
            events += entries.Count;
            after = entries[^1].Position;
        }
        var pass = new Pass(Stopwatch.GetElapsedTime(started).TotalSeconds, events, bytes);
        Scratch.Progress($"baseline read pass: {pass.Rate:N0} events/s");
        return pass;
    }

    /// <summary>Every consumer <see cref="Processor"/> runs, each reset then caught up to the head, one after another.</summary>
    internal static async Task<JsonObject> RebuildAsync(IPassportStore log, IProcessorStore store, ProcessingOptions processing, int events)
    {
        var times = new PhaseTimes();
        var timed = new TimedStore(log, store, times);
        var real = new Processor(log, store, processing, new LogSignal(), NullLoggerFactory.Instance, TimeProvider.System);
        var consumers = real.Runners.Select(r => (Consumer)new TimedConsumer(r.Consumer, times)).ToArray();
        var processor = new Processor(timed, timed, processing, new LogSignal(), NullLoggerFactory.Instance, TimeProvider.System, consumers);

        using var memory = MemorySampler.Start();
        var list = new JsonArray();
        double total = 0;
        foreach (var runner in processor.Runners)
        {
            var allocated = GC.GetTotalAllocatedBytes();
            var gen2 = GC.CollectionCount(2);
            var started = Stopwatch.GetTimestamp();
            await runner.ResetAsync(CancellationToken.None);
            var reset = Stopwatch.GetElapsedTime(started).TotalSeconds;
            times.Reset();
            var lastShown = 0L;
            var applied = await runner.CatchUpAsync(processing.ReplayBatchSize, (cursor, head) =>
            {
                if (cursor - lastShown >= head / 10 || cursor >= head)
                {
                    lastShown = cursor;
                    Scratch.Progress($"{runner.Name}: {cursor:N0}/{head:N0} after {Stopwatch.GetElapsedTime(started).TotalSeconds:N1} s");
                }
            }, CancellationToken.None);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            total += seconds;
            list.Add(new JsonObject
            {
                ["name"] = runner.Name,
                ["applied"] = applied,
                ["seconds"] = Math.Round(seconds, 2),
                ["eventsPerSecond"] = Math.Round(events / seconds),
                ["batches"] = times.Batches,
                ["phasesSeconds"] = new JsonObject
                {
                    ["reset"] = Math.Round(reset, 2),
                    ["readLog"] = Math.Round(times.ReadLog, 2),
                    ["prepare"] = Math.Round(times.Prepare, 2),
                    ["writeStatements"] = Math.Round(times.Write, 2),
                    ["cursorAndCommit"] = Math.Round(times.Transaction - times.Write, 2),
                    ["other"] = Math.Round(seconds - reset - times.ReadLog - times.Prepare - times.Transaction, 2),
                },
                ["allocatedMB"] = (GC.GetTotalAllocatedBytes() - allocated) / 1_048_576,
                ["gen2Collections"] = GC.CollectionCount(2) - gen2,
            });
            Scratch.Progress($"{runner.Name}: {events / seconds:N0} events/s ({seconds:N1} s; read {times.ReadLog:N1}, prepare {times.Prepare:N1}, write {times.Write:N1}, commit {times.Transaction - times.Write:N1})");
            await runner.ReleaseAsync(CancellationToken.None);
        }
        return new JsonObject
        {
            ["batchSize"] = processing.ReplayBatchSize,
            ["consumers"] = list,
            ["totalSeconds"] = Math.Round(total, 2),
            ["peakWorkingSetMB"] = memory.PeakBytes / 1_048_576,
            ["processPeakWorkingSetMB"] = Process.GetCurrentProcess().PeakWorkingSet64 / 1_048_576,
        };
    }

    private static long DatabaseBytes(string path) =>
        new[] { path, path + "-wal" }.Where(File.Exists).Sum(p => new FileInfo(p).Length);

    private static JsonObject Tables(string path, long logBytes, int events)
    {
        var rows = new JsonObject();
        foreach (var table in new[] { "coliseum_metrics", "coliseum_rollups", "coliseum_rollup_users", "coliseum_leaderboard_scores", "coliseum_leaderboard_windows", "coliseum_leaderboards", "coliseum_votes", "artist_event_participation", "coliseum_entities", "coliseum_breakdowns" })
        {
            rows[table] = Sql.Scalar(path, $"SELECT COUNT(*) FROM {table}");
        }
        var aggregates = new[] { "coliseum_metrics", "coliseum_rollups", "coliseum_rollup_users", "coliseum_leaderboard_scores" }.Sum(t => rows[t]!.GetValue<long>());
        return new JsonObject
        {
            ["aggregateRowsPerEvent"] = Math.Round((double)aggregates / events, 1),
            ["logOnlyMB"] = logBytes / 1_048_576,
            ["afterRebuildMB"] = DatabaseBytes(path) / 1_048_576,
            ["rows"] = rows,
        };
    }
}
