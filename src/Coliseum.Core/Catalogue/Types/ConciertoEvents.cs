using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Coliseum.Catalogue;

/// <summary>A live event was announced.</summary>
[EventType("concierto.event_created"), Entity("event", "eventId")]
public sealed record EventCreated : PassportEvent
{
    [MaxLength(128)] public required string EventId { get; init; }
    public required string Name { get; init; }
    public required string City { get; init; }
    public required DateTimeOffset StartsAt { get; init; }
    public string? Venue { get; init; }
    public IReadOnlyList<string>? ArtistIds { get; init; }
}

/// <summary>An artist was booked to play a live event.</summary>
[EventType("concierto.artist_booked"), Entity("event", "eventId")]
public sealed record ArtistBooked : PassportEvent
{
    [MaxLength(128)] public required string EventId { get; init; }
    [MaxLength(128)] public required string ArtistId { get; init; }
    [AllowedValues("headliner", "support", "guest")] public string? Role { get; init; }
}

/// <summary>A fan looked at a live event's page.</summary>
[EventType("concierto.event_viewed"), Entity("event", "eventId")]
public sealed record EventViewed : PassportEvent
{
    [MaxLength(128)] public required string EventId { get; init; }
    public string? Source { get; init; }
}

/// <summary>A fan answered whether they will go to a live event.</summary>
[EventType("concierto.rsvp_submitted"), Entity("event", "eventId")]
public sealed record RsvpSubmitted : PassportEvent
{
    [MaxLength(128)] public required string EventId { get; init; }
    [AllowedValues("going", "interested", "not_going")] public required string Status { get; init; }
}

/// <summary>A fan bought tickets to a live event.</summary>
[EventType("concierto.ticket_purchased"), Entity("event", "eventId")]
public sealed record TicketPurchased : PassportEvent
{
    [MaxLength(128)] public required string EventId { get; init; }
    [MaxLength(128)] public required string TicketId { get; init; }
    [Range(1, 9_007_199_254_740_991)] public required long AmountCents { get; init; }
    [CurrencyCode, MaxLength(3)] public required string Currency { get; init; }
    [Range(1, 100), DefaultValue(1)] public int? Quantity { get; init; }
}

/// <summary>A ticket to a live event was refunded.</summary>
[EventType("concierto.ticket_refunded"), Entity("event", "eventId")]
public sealed record TicketRefunded : PassportEvent
{
    [MaxLength(128)] public required string EventId { get; init; }
    [MaxLength(128)] public required string TicketId { get; init; }
    [Range(1, 9_007_199_254_740_991)] public required long AmountCents { get; init; }
    [CurrencyCode, MaxLength(3)] public required string Currency { get; init; }
}

/// <summary>A ticket was scanned at the door.</summary>
[EventType("concierto.checked_in"), Entity("event", "eventId")]
public sealed record CheckedIn : PassportEvent
{
    [MaxLength(128)] public required string EventId { get; init; }
    [MaxLength(128)] public required string TicketId { get; init; }
    public string? Gate { get; init; }
}

/// <summary>A fan attended a live event.</summary>
[EventType("concierto.event_attended"), Entity("event", "eventId")]
public sealed record EventAttended : PassportEvent
{
    [MaxLength(128)] public required string EventId { get; init; }
    public required string City { get; init; }
}

/// <summary>A fan rated a live event from 1 to 5.</summary>
[EventType("concierto.event_rated"), Entity("event", "eventId")]
public sealed record EventRated : PassportEvent
{
    [MaxLength(128)] public required string EventId { get; init; }
    [Range(1, 5)] public required int Rating { get; init; }
}

/// <summary>A live event was called off.</summary>
[EventType("concierto.event_cancelled"), Entity("event", "eventId")]
public sealed record EventCancelled : PassportEvent
{
    [MaxLength(128)] public required string EventId { get; init; }
    public string? Reason { get; init; }
}
