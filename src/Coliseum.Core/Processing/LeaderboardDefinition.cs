namespace Coliseum.Processing;

/// <summary>
/// One leaderboard: which metric contributions count (see <c>coliseum_metrics</c>), how they score, and
/// which entity they rank. Defined in configuration (<c>Coliseum:Processing:Leaderboards:{id}</c>), so a
/// new board needs no code; a replay of the coliseum consumer fills it for the whole log.
/// </summary>
public sealed class LeaderboardDefinition
{
    public bool Enabled { get; set; } = true;

    /// <summary>Human title for the dashboard.</summary>
    public string? Title { get; set; }

    /// <summary>Metric types whose contributions score (an event type, or a derived metric such as <c>coliseum.votes</c>).</summary>
    public string[] Metrics { get; set; } = [];

    /// <summary><c>count</c> (one per contribution) or <c>sum</c> (of <c>metric_value</c>).</summary>
    public string Score { get; set; } = "count";

    /// <summary>What is ranked: <c>artist</c>, <c>track</c>, <c>event</c>, <c>user</c>, <c>city</c> or <c>playlist</c>.</summary>
    public string Entity { get; set; } = "artist";

    /// <summary>Optional scope entity (e.g. <c>event</c>: a board per event, a battle) kept beside the unscoped board.</summary>
    public string? Scope { get; set; }

    /// <summary>Only contributions in this currency count (money boards must name one: cents never mix).</summary>
    public string? Currency { get; set; }

    public bool IsSum => Score.Equals("sum", StringComparison.OrdinalIgnoreCase);

    public static Dictionary<string, LeaderboardDefinition> BuiltIn() => new(StringComparer.Ordinal)
    {
        ["top_artists_by_plays"] = new() { Title = "Top artists by plays", Metrics = ["player.track_played"], Entity = "artist" },
        ["top_tracks_by_plays"] = new() { Title = "Top tracks by plays", Metrics = ["player.track_played"], Entity = "track" },
        ["top_artists_by_votes"] = new() { Title = "Top artists by votes", Metrics = [Metric.Votes], Score = "sum", Entity = "artist", Scope = "event" },
        ["top_artists_by_followers"] = new() { Title = "Top artists by followers", Metrics = [Metric.Followers], Score = "sum", Entity = "artist" },
        ["top_artists_by_earnings"] = new() { Title = "Top artists by earnings", Metrics = [Metric.ArtistEarnings], Score = "sum", Entity = "artist", Currency = "usd" },
        ["top_fans_by_spend"] = new() { Title = "Top fans by spend", Metrics = ["treasury.money_spent"], Score = "sum", Entity = "user", Currency = "usd" },
        ["top_fans_by_attendance"] = new() { Title = "Top fans by attendance", Metrics = ["concierto.event_attended"], Entity = "user" },
        ["top_fans_by_votes"] = new() { Title = "Top fans by votes", Metrics = [Metric.Votes], Score = "sum", Entity = "user" },
        ["top_events_by_attendance"] = new() { Title = "Top events by attendance", Metrics = ["concierto.event_attended"], Entity = "event" },
        ["top_cities_by_attendance"] = new() { Title = "Top cities by attendance", Metrics = ["concierto.event_attended"], Entity = "city" },
    };
}
