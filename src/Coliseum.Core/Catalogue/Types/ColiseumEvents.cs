using System.ComponentModel.DataAnnotations;

namespace Coliseum.Catalogue;

/// <summary>A fan voted for an artist in an event's battle, with a weight of 1 to 100.</summary>
[EventType("coliseum.vote_cast"), Entity("artist", "artistId")]
public sealed record VoteCast : PassportEvent
{
    [MaxLength(128)] public required string ArtistId { get; init; }
    [MaxLength(128)] public required string EventId { get; init; }
    public required string Channel { get; init; }
    [Range(1, 100)] public required int Weight { get; init; }
}

/// <summary>A fan took back their vote; subtracts that user's weight.</summary>
[EventType("coliseum.vote_retracted"), Entity("artist", "artistId")]
public sealed record VoteRetracted : PassportEvent
{
    [MaxLength(128)] public required string ArtistId { get; init; }
    [MaxLength(128)] public required string EventId { get; init; }
}

/// <summary>An artist entered a competition.</summary>
[EventType("coliseum.competition_entered"), Entity("artist", "artistId")]
public sealed record CompetitionEntered : PassportEvent
{
    [MaxLength(128)] public required string CompetitionId { get; init; }
    [MaxLength(128)] public required string ArtistId { get; init; }
}

/// <summary>A leaderboard was looked at.</summary>
[EventType("coliseum.leaderboard_viewed"), Entity("leaderboard", "leaderboardId")]
public sealed record LeaderboardViewed : PassportEvent
{
    [MaxLength(128)] public required string LeaderboardId { get; init; }
}

/// <summary>A report was produced.</summary>
[EventType("coliseum.report_generated"), Entity("report", "reportId")]
public sealed record ReportGenerated : PassportEvent
{
    [MaxLength(128)] public required string ReportId { get; init; }
    public required string ReportType { get; init; }
}
