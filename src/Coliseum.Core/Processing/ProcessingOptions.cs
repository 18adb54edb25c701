namespace Coliseum.Processing;

/// <summary>The processor's settings (<c>Coliseum:Processing:*</c>).</summary>
public sealed class ProcessingOptions
{
    public const string Section = "Coliseum:Processing";

    /// <summary>Run the consumers inside <c>coliseum serve</c> (turn off to run capture only).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Most log entries a consumer applies in one transaction while keeping up.</summary>
    public int BatchSize { get; set; } = 1_000;

    /// <summary>Most entries per transaction during <c>coliseum replay</c>, where throughput matters more than latency.</summary>
    public int ReplayBatchSize { get; set; } = 20_000;

    /// <summary>Tries of a failing batch (and then of each single event in it) before it is dead-lettered.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How long a consumer's lease lasts without renewal; another process takes over after it.</summary>
    public int LeaseSeconds { get; set; } = 10;

    /// <summary>Longest sleep between polls of an idle log (a commit wakes the consumers at once anyway).</summary>
    public int IdlePollMilliseconds { get; set; } = 1_000;

    /// <summary>IANA or Windows time zone for day/week/month buckets and leaderboard windows.</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>How many entries each leaderboard keeps materialised (the most a reader can ask for).</summary>
    public int LeaderboardSize { get; set; } = 100;

    /// <summary>How many days before a conversion a touchpoint is credited to it (first- and last-touch attribution).</summary>
    public int AttributionLookbackDays { get; set; } = 30;

    /// <summary>Leaderboards by id; the ten built-in ones are present unless removed (set a board's <c>Enabled</c> to false).</summary>
    public Dictionary<string, LeaderboardDefinition> Leaderboards { get; set; } = LeaderboardDefinition.BuiltIn();
}
