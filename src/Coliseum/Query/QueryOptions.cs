namespace Coliseum.Query;

/// <summary>The query API's and live streams' settings (<c>Coliseum:Query:*</c>).</summary>
public sealed class QueryOptions
{
    public const string Section = "Coliseum:Query";

    /// <summary>How often the cursor and log head are read to notice commits made by other processes.</summary>
    public int PollMilliseconds { get; set; } = 500;

    /// <summary>Least time between two updates on one stream: changes in between are coalesced into the second.</summary>
    public int StreamMinIntervalMilliseconds { get; set; } = 250;

    /// <summary>A stream with nothing to say sends a heartbeat this often, so proxies keep it open.</summary>
    public int HeartbeatSeconds { get; set; } = 15;

    /// <summary>A stream client that has not taken one update in this long (it stopped reading) is disconnected.</summary>
    public int StreamWriteTimeoutSeconds { get; set; } = 10;

    /// <summary>Most live stream connections this process serves at once; more are answered 503 with Retry-After.</summary>
    public int MaxStreams { get; set; } = 5_000;

    /// <summary>Most hourly points one series request may return.</summary>
    public int MaxHourlyPoints { get; set; } = 24 * 31;

    /// <summary>Most daily points one series request may return.</summary>
    public int MaxDailyPoints { get; set; } = 366;

    public IEnumerable<string> Validate()
    {
        if (PollMilliseconds is < 50 or > 60_000) { yield return "Coliseum:Query:PollMilliseconds must be between 50 and 60000"; }
        if (StreamMinIntervalMilliseconds is < 0 or > 60_000) { yield return "Coliseum:Query:StreamMinIntervalMilliseconds must be between 0 and 60000"; }
        if (HeartbeatSeconds is < 1 or > 300) { yield return "Coliseum:Query:HeartbeatSeconds must be between 1 and 300"; }
        if (StreamWriteTimeoutSeconds is < 1 or > 600) { yield return "Coliseum:Query:StreamWriteTimeoutSeconds must be between 1 and 600"; }
        if (MaxStreams is < 1 or > 100_000) { yield return "Coliseum:Query:MaxStreams must be between 1 and 100000"; }
        if (MaxHourlyPoints is < 24 or > 24 * 366) { yield return "Coliseum:Query:MaxHourlyPoints must be between 24 and 8784"; }
        if (MaxDailyPoints is < 7 or > 3_660) { yield return "Coliseum:Query:MaxDailyPoints must be between 7 and 3660"; }
    }
}
