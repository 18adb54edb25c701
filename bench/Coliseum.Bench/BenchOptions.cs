namespace Coliseum.Bench;

internal sealed record BenchOptions
{
    public int BatchEvents { get; init; } = 500_000;
    public int PerBatch { get; init; } = 500;
    public int Connections { get; init; } = 8;
    public int WarmupEvents { get; init; } = 200_000;
    public int WarmupSeconds { get; init; } = 15;
    /// <summary>Random UUIDv4 messageIds (as some Segment libraries send) instead of UUIDv7.</summary>
    public bool RandomIds { get; init; }
    public int SingleConnections { get; init; } = 64;
    public int Seconds { get; init; } = 10;

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            var value = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--events" => options with { BatchEvents = value },
                "--per-batch" => options with { PerBatch = value },
                "--connections" => options with { Connections = value },
                "--single-connections" => options with { SingleConnections = value },
                "--seconds" => options with { Seconds = value },
                "--warmup-events" => options with { WarmupEvents = value },
                "--warmup-seconds" => options with { WarmupSeconds = value },
                "--random-ids" => options with { RandomIds = value != 0 },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return options;
    }
}
