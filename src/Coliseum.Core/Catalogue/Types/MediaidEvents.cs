using System.ComponentModel.DataAnnotations;

namespace Coliseum.Catalogue;

/// <summary>A user changed fields of their profile (the names of the changed fields).</summary>
[EventType("mediaid.profile_updated")]
public sealed record ProfileUpdated : PassportEvent
{
    public required IReadOnlyList<string> Fields { get; init; }
}

/// <summary>A user changed their taste preferences.</summary>
[EventType("mediaid.preferences_updated")]
public sealed record PreferencesUpdated : PassportEvent
{
    public IReadOnlyList<string>? Genres { get; init; }
    public IReadOnlyList<string>? Languages { get; init; }
    public IReadOnlyList<string>? Cities { get; init; }
}

/// <summary>An artist's public profile (name, genres) changed; feeds the entity directory.</summary>
[EventType("mediaid.artist_profile_updated"), Entity("artist", "artistId")]
public sealed record ArtistProfileUpdated : PassportEvent
{
    [MaxLength(128)] public required string ArtistId { get; init; }
    public required string Name { get; init; }
    public IReadOnlyList<string>? Genres { get; init; }
}
