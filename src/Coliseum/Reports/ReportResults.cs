namespace Coliseum.Reports;

// The JSON shape of each report's result (camelCase). Money is integer cents per currency, never summed across currencies.

internal sealed record ReportPositions(long Coliseum, long Treasury, long Mediaid);

internal sealed record Ranked(string Id, string Name, long Count);

internal sealed record CurrencyAmount(string Currency, long Cents);

internal sealed record ArtistReport(
    string ArtistId, string Name, string From, string To,
    long Plays, long UniqueListeners, long ListeningSeconds,
    long Completions, long Skips, double CompletionRate, double SkipRate,
    long Votes, long FollowersNet, IReadOnlyList<CurrencyAmount> Earnings,
    long Attendance, IReadOnlyList<ArtistEvent> Events,
    IReadOnlyList<Ranked> TopTracks, IReadOnlyList<Ranked> TopCities,
    IReadOnlyList<ArtistDay> Daily);

internal sealed record ArtistEvent(string EventId, string Name, string? Role, long Attendance);

internal sealed record ArtistDay(string Date, long Plays, long Listeners, long Completions, long Skips, long Votes, long FollowersNet, long Attendance);

internal sealed record EventReport(
    string EventId, string Name, IReadOnlyList<EventArtist> Artists,
    IReadOnlyList<FunnelStep> Funnel, IReadOnlyList<EventRevenue> Revenue,
    IReadOnlyList<ArtistVotes> Votes, long Ratings);

internal sealed record EventArtist(string ArtistId, string Name, string? Role);

/// <summary>users: distinct users who did the step; reached: of them, those who also did every earlier step (in any order); conversion: reached / the first step's users.</summary>
internal sealed record FunnelStep(string Step, string Metric, long Count, long Users, long Reached, double Conversion);

internal sealed record EventRevenue(string Currency, long Tickets, long TicketsCents, long RefundsCents, long NetTicketsCents, long SpentCents);

internal sealed record ArtistVotes(string ArtistId, string Name, long Votes, long Voters);

internal sealed record PassportReport(
    string UserId, string From, string To, PassportProfile? Profile,
    long EventsAttended, IReadOnlyList<Ranked> Events,
    long Plays, long ListeningSeconds, long Votes, long VotesCast,
    IReadOnlyList<UserMoney> Money, IReadOnlyList<Ranked> TopArtists);

internal sealed record PassportProfile(string FirstSeen, string LastSeen, long EventCount, string? SignedUpAt, string? LastLoginAt);

internal sealed record UserMoney(string Currency, long SpentCents, long RefundedCents, long EarnedCents, long TipsSentCents);

internal sealed record PlatformReport(
    string Day, string TimeZone, string Start, string End, string Bucket,
    long ActiveUsers, long SignUps, IReadOnlyList<MetricTotal> Metrics,
    IReadOnlyList<PlatformMoney> Money, IReadOnlyList<BoardLeader> Leaders, string? LeadersNote);

internal sealed record MetricTotal(string Metric, string Currency, long Count, long Sum, long Users);

internal sealed record PlatformMoney(string Currency, long SpentCents, long EarnedCents, long TipsCents, long TicketsCents, long RefundsCents, long ArtistEarningsCents);

internal sealed record BoardLeader(string LeaderboardId, int Rank, string EntityId, string EntityName, long Score);
