using System.ComponentModel.DataAnnotations;

// One file per domain rather than one per record: the 51 catalogue records are a table, and reading a
// domain's records side by side is clearer than 51 files of five lines each.
namespace Coliseum.Catalogue;

/// <summary>A fan played an artist's track.</summary>
[EventType("player.track_played"), Entity("track", "trackId")]
public sealed record TrackPlayed : PassportEvent
{
    [MaxLength(128)] public required string TrackId { get; init; }
    [MaxLength(128)] public required string ArtistId { get; init; }
    [Range(0, 86_400)] public required double DurationSeconds { get; init; }
}

/// <summary>Playback of a track was paused.</summary>
[EventType("player.track_paused"), Entity("track", "trackId")]
public sealed record TrackPaused : PassportEvent
{
    [MaxLength(128)] public required string TrackId { get; init; }
    [Range(0, 86_400)] public required double PositionSeconds { get; init; }
}

/// <summary>Playback of a paused track went on.</summary>
[EventType("player.track_resumed"), Entity("track", "trackId")]
public sealed record TrackResumed : PassportEvent
{
    [MaxLength(128)] public required string TrackId { get; init; }
    [Range(0, 86_400)] public required double PositionSeconds { get; init; }
}

/// <summary>A track was played to its end.</summary>
[EventType("player.track_completed"), Entity("track", "trackId")]
public sealed record TrackCompleted : PassportEvent
{
    [MaxLength(128)] public required string TrackId { get; init; }
    [MaxLength(128)] public required string ArtistId { get; init; }
    [Range(0, 86_400)] public required double ListenedSeconds { get; init; }
}

/// <summary>A fan skipped a track.</summary>
[EventType("player.track_skipped"), Entity("track", "trackId")]
public sealed record TrackSkipped : PassportEvent
{
    [MaxLength(128)] public required string TrackId { get; init; }
    [MaxLength(128)] public required string ArtistId { get; init; }
    [Range(0, 86_400)] public required double PositionSeconds { get; init; }
}

/// <summary>A fan liked a track.</summary>
[EventType("player.track_liked"), Entity("track", "trackId")]
public sealed record TrackLiked : PassportEvent
{
    [MaxLength(128)] public required string TrackId { get; init; }
    [MaxLength(128)] public required string ArtistId { get; init; }
}

/// <summary>A fan took back a like of a track.</summary>
[EventType("player.track_unliked"), Entity("track", "trackId")]
public sealed record TrackUnliked : PassportEvent
{
    [MaxLength(128)] public required string TrackId { get; init; }
    [MaxLength(128)] public required string ArtistId { get; init; }
}

/// <summary>A fan made a playlist.</summary>
[EventType("player.playlist_created"), Entity("playlist", "playlistId")]
public sealed record PlaylistCreated : PassportEvent
{
    [MaxLength(128)] public required string PlaylistId { get; init; }
    public string? Name { get; init; }
}

/// <summary>A fan put a track on a playlist.</summary>
[EventType("player.track_added_to_playlist"), Entity("playlist", "playlistId")]
public sealed record TrackAddedToPlaylist : PassportEvent
{
    [MaxLength(128)] public required string PlaylistId { get; init; }
    [MaxLength(128)] public required string TrackId { get; init; }
    [MaxLength(128)] public string? ArtistId { get; init; }
}
