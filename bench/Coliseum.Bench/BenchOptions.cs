namespace Coliseum.Bench;

internal sealed record BenchOptions
{
    /// <summary>Events to generate (capture: 500,000; rebuild: 1,000,000).</summary>
    public int? Events { get; init; }
    public int PerBatch { get; init; } = 500;
    public int Connections { get; init; } = 8;
    public int WarmupEvents { get; init; } = 200_000;
    public int WarmupSeconds { get; init; } = 15;
    /// <summary>Random UUIDv4 messageIds (as some Segment libraries send) instead of UUIDv7.</summary>
    public bool RandomIds { get; init; }
    public int SingleConnections { get; init; } = 64;
    /// <summary>How long to measure (capture: 10 s; freshness: 60 s).</summary>
    public int? Seconds { get; init; }
    /// <summary>Replay batch size for rebuild (default: ProcessingOptions.ReplayBatchSize).</summary>
    public int? ReplayBatch { get; init; }
    /// <summary>Background capture rate for freshness, events/s.</summary>
    public int Rate { get; init; } = 5_000;
    /// <summary>How long the idle-server baseline of freshness runs.</summary>
    public int BaselineSeconds { get; init; } = 15;
    public int Seed { get; init; } = 42;
    /// <summary>Funnel: also rebuild the coliseum consumer without the funnel index, to measure what it costs.</summary>
    public bool IndexCost { get; init; } = true;
    /// <summary>Timed repetitions of the artist report (report scenario).</summary>
    public int Repetitions { get; init; } = 200;
    /// <summary>wrk connections reading (reads scenario).</summary>
    public int Readers { get; init; } = 32;
    /// <summary>Capture rate beside the reads, events/s (reads scenario).</summary>
    public int CaptureRate { get; init; } = 2_000;
    /// <summary>SSE subscribers (fanout scenario).</summary>
    public int Subscribers { get; init; } = 1_000;
    /// <summary>Which parts of the postgres scenario to run (comma-separated; null: all).</summary>
    public string? Parts { get; init; }
    /// <summary>Events loaded for the postgres scenario's rebuild part (each backend).</summary>
    public int RebuildEvents { get; init; } = 50_000;
    /// <summary>Alternating measurement rounds per backend (postgres scenario's single part).</summary>
    public int Rounds { get; init; } = 2;

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--parts")
            {
                options = options with { Parts = args[i + 1] };
                continue;
            }
            var value = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--events" => options with { Events = value },
                "--per-batch" => options with { PerBatch = value },
                "--connections" => options with { Connections = value },
                "--single-connections" => options with { SingleConnections = value },
                "--seconds" => options with { Seconds = value },
                "--warmup-events" => options with { WarmupEvents = value },
                "--warmup-seconds" => options with { WarmupSeconds = value },
                "--random-ids" => options with { RandomIds = value != 0 },
                "--batch" => options with { ReplayBatch = value },
                "--rate" => options with { Rate = value },
                "--baseline-seconds" => options with { BaselineSeconds = value },
                "--seed" => options with { Seed = value },
                "--index-cost" => options with { IndexCost = value != 0 },
                "--repetitions" => options with { Repetitions = value },
                "--subscribers" => options with { Subscribers = value },
                "--readers" => options with { Readers = value },
                "--capture-rate" => options with { CaptureRate = value },
                "--rebuild-events" => options with { RebuildEvents = value },
                "--rounds" => options with { Rounds = value },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return options;
    }
}
