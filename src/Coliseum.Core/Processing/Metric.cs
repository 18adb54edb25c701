namespace Coliseum.Processing;

/// <summary>
/// Names of the derived metrics the coliseum consumer writes beside each event's primary row (whose
/// <c>metric_type</c> is the event type itself).
/// </summary>
public static class Metric
{
    /// <summary>Seconds listened, from <c>player.track_played.durationSeconds</c>.</summary>
    public const string ListeningSeconds = "player.listening_seconds";

    /// <summary>Net vote weight: <c>+weight</c> per vote cast, minus the user's weight when they retract.</summary>
    public const string Votes = "coliseum.votes";

    /// <summary>Net followers: +1 per follow, −1 per unfollow.</summary>
    public const string Followers = "social.artist_followers";

    /// <summary>What an artist earned, per currency: <c>treasury.money_earned</c> with an artist plus <c>treasury.tip_sent</c>.</summary>
    public const string ArtistEarnings = "treasury.artist_earnings";

    /// <summary>Attendance credited to each artist playing the event (through <c>artist_event_participation</c>).</summary>
    public const string ArtistAttendance = "concierto.artist_attendance";

    /// <summary>The entity kinds a contribution can carry, a rollup can be kept for, and a board can rank.</summary>
    public static readonly string[] Entities = ["user", "artist", "track", "event", "city", "playlist"];
}
