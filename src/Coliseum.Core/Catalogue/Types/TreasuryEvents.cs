using System.ComponentModel.DataAnnotations;

namespace Coliseum.Catalogue;

/// <summary>A fan paid for something (ticket, tip, subscription, merch).</summary>
[EventType("treasury.money_spent"), Entity("artist", "artistId"), Entity("event", "eventId")]
public sealed record MoneySpent : PassportEvent
{
    [Range(1, 9_007_199_254_740_991)] public required long AmountCents { get; init; }
    [CurrencyCode, MaxLength(3)] public required string Currency { get; init; }
    [AllowedValues("ticket", "tip", "subscription", "merch", "other")] public required string Reason { get; init; }
    [MaxLength(128)] public string? EventId { get; init; }
    [MaxLength(128)] public string? ArtistId { get; init; }
    [MaxLength(128)] public string? StripePaymentIntentId { get; init; }
}

/// <summary>An artist or event earned money.</summary>
[EventType("treasury.money_earned"), Entity("artist", "artistId"), Entity("event", "eventId")]
public sealed record MoneyEarned : PassportEvent
{
    [Range(1, 9_007_199_254_740_991)] public required long AmountCents { get; init; }
    [CurrencyCode, MaxLength(3)] public required string Currency { get; init; }
    public required string Source { get; init; }
    [MaxLength(128)] public string? ArtistId { get; init; }
    [MaxLength(128)] public string? EventId { get; init; }
    [MaxLength(128)] public string? StripeTransferId { get; init; }
}

/// <summary>Money was given back to a fan.</summary>
[EventType("treasury.refund_issued"), Entity("event", "eventId")]
public sealed record RefundIssued : PassportEvent
{
    [Range(1, 9_007_199_254_740_991)] public required long AmountCents { get; init; }
    [CurrencyCode, MaxLength(3)] public required string Currency { get; init; }
    [MaxLength(128)] public string? StripeRefundId { get; init; }
    [MaxLength(128)] public string? EventId { get; init; }
}

/// <summary>A fan tipped an artist.</summary>
[EventType("treasury.tip_sent"), Entity("artist", "artistId")]
public sealed record TipSent : PassportEvent
{
    [MaxLength(128)] public required string ArtistId { get; init; }
    [Range(1, 9_007_199_254_740_991)] public required long AmountCents { get; init; }
    [CurrencyCode, MaxLength(3)] public required string Currency { get; init; }
    [MaxLength(128)] public string? TrackId { get; init; }
    [MaxLength(128)] public string? EventId { get; init; }
}

/// <summary>An artist asked for their balance to be paid out.</summary>
[EventType("treasury.payout_requested"), Entity("artist", "artistId")]
public sealed record PayoutRequested : PassportEvent
{
    [MaxLength(128)] public required string ArtistId { get; init; }
    [Range(1, 9_007_199_254_740_991)] public required long AmountCents { get; init; }
    [CurrencyCode, MaxLength(3)] public required string Currency { get; init; }
}

/// <summary>An artist's payout reached them.</summary>
[EventType("treasury.payout_completed"), Entity("artist", "artistId")]
public sealed record PayoutCompleted : PassportEvent
{
    [MaxLength(128)] public required string ArtistId { get; init; }
    [Range(1, 9_007_199_254_740_991)] public required long AmountCents { get; init; }
    [CurrencyCode, MaxLength(3)] public required string Currency { get; init; }
    [MaxLength(128)] public string? StripeTransferId { get; init; }
}

/// <summary>A payment was declined or failed.</summary>
[EventType("treasury.payment_failed")]
public sealed record PaymentFailed : PassportEvent
{
    [Range(1, 9_007_199_254_740_991)] public required long AmountCents { get; init; }
    [CurrencyCode, MaxLength(3)] public required string Currency { get; init; }
    public string? Reason { get; init; }
    [MaxLength(128)] public string? StripePaymentIntentId { get; init; }
}

/// <summary>A fan subscribed to a paid plan.</summary>
[EventType("treasury.subscription_started")]
public sealed record SubscriptionStarted : PassportEvent
{
    public required string Plan { get; init; }
    [Range(1, 9_007_199_254_740_991)] public required long AmountCents { get; init; }
    [CurrencyCode, MaxLength(3)] public required string Currency { get; init; }
    [AllowedValues("month", "year")] public required string Interval { get; init; }
}

/// <summary>A fan cancelled a paid plan.</summary>
[EventType("treasury.subscription_cancelled")]
public sealed record SubscriptionCancelled : PassportEvent
{
    public required string Plan { get; init; }
    public string? Reason { get; init; }
}
