using System.ComponentModel.DataAnnotations;

namespace Coliseum.Catalogue;

/// <summary>A fan followed an artist.</summary>
[EventType("social.artist_followed"), Entity("artist", "artistId")]
public sealed record ArtistFollowed : PassportEvent
{
    [MaxLength(128)] public required string ArtistId { get; init; }
}

/// <summary>A fan stopped following an artist.</summary>
[EventType("social.artist_unfollowed"), Entity("artist", "artistId")]
public sealed record ArtistUnfollowed : PassportEvent
{
    [MaxLength(128)] public required string ArtistId { get; init; }
}

/// <summary>A user followed another user.</summary>
[EventType("social.user_followed"), Entity("user", "targetUserId")]
public sealed record UserFollowed : PassportEvent
{
    [MaxLength(128)] public required string TargetUserId { get; init; }
}

/// <summary>A fan shared a track, event, artist or other entity on a channel.</summary>
[EventType("social.content_shared"), Entity("", "entityId", TypeField = "entityType")]
public sealed record ContentShared : PassportEvent
{
    public required string EntityType { get; init; }
    [MaxLength(128)] public required string EntityId { get; init; }
    public required string Channel { get; init; }
}

/// <summary>A fan commented on an entity.</summary>
[EventType("social.comment_posted"), Entity("", "entityId", TypeField = "entityType")]
public sealed record CommentPosted : PassportEvent
{
    public required string EntityType { get; init; }
    [MaxLength(128)] public required string EntityId { get; init; }
    [MaxLength(128)] public required string CommentId { get; init; }
}

/// <summary>A fan reacted to an entity.</summary>
[EventType("social.reaction_added"), Entity("", "entityId", TypeField = "entityType")]
public sealed record ReactionAdded : PassportEvent
{
    public required string EntityType { get; init; }
    [MaxLength(128)] public required string EntityId { get; init; }
    public required string Reaction { get; init; }
}

/// <summary>A user invited someone to the platform.</summary>
[EventType("social.invite_sent")]
public sealed record InviteSent : PassportEvent
{
    [MaxLength(128)] public required string InviteId { get; init; }
    public required string Channel { get; init; }
}

/// <summary>An invitation was accepted.</summary>
[EventType("social.invite_accepted")]
public sealed record InviteAccepted : PassportEvent
{
    [MaxLength(128)] public required string InviteId { get; init; }
    [MaxLength(128)] public required string InviterUserId { get; init; }
}
