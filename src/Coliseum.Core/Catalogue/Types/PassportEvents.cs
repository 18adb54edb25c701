using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace Coliseum.Catalogue;

/// <summary>A visit began (platform, referrer, campaign).</summary>
[EventType("passport.session_started")]
public sealed record SessionStarted : PassportEvent
{
    public string? Platform { get; init; }
    public string? Referrer { get; init; }
    public Utm? Utm { get; init; }
    public string? AppVersion { get; init; }
}

/// <summary>A visit ended after <c>durationSeconds</c>.</summary>
[EventType("passport.session_ended")]
public sealed record SessionEnded : PassportEvent
{
    [Range(0, 31_536_000)] public required double DurationSeconds { get; init; }
}

/// <summary>A page of the app or site was shown.</summary>
[EventType("passport.page_viewed")]
public sealed record PageViewed : PassportEvent
{
    public required string Path { get; init; }
    public string? Title { get; init; }
    public string? Referrer { get; init; }
}

/// <summary>A visitor created an account.</summary>
[EventType("passport.signed_up")]
public sealed record SignedUp : PassportEvent
{
    public required string Method { get; init; }
    [MaxLength(128)] public string? ReferrerUserId { get; init; }
    public Utm? Utm { get; init; }
}

/// <summary>A user signed in; links the device's anonymousId to the userId.</summary>
[EventType("passport.logged_in")]
public sealed record LoggedIn : PassportEvent
{
    public required string Method { get; init; }
}

/// <summary>The user's traits (name, email, city, …) became known.</summary>
[EventType("passport.identified")]
public sealed record Identified : PassportEvent
{
    public required Dictionary<string, JsonElement> Traits { get; init; }
}

/// <summary>The user granted or withdrew consent for a scope.</summary>
[EventType("passport.consent_updated")]
public sealed record ConsentUpdated : PassportEvent
{
    public required string Scope { get; init; }
    public required bool Granted { get; init; }
}

/// <summary>Campaign parameters of a visit (<c>utm_*</c>); a field of events, not an event.</summary>
public sealed record Utm
{
    public string? Source { get; init; }
    public string? Medium { get; init; }
    public string? Campaign { get; init; }
    public string? Term { get; init; }
    public string? Content { get; init; }
}
