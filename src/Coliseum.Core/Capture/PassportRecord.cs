namespace Coliseum.Capture;

/// <summary>One validated event, ready to append to the Passport log. Times are Unix milliseconds.</summary>
public sealed class PassportRecord
{
    public required string MessageId { get; init; }
    public required string EventType { get; init; }
    public required string EventCategory { get; init; }
    public string? UserId { get; init; }
    public string? AnonymousId { get; init; }
    public string? SessionId { get; init; }
    public string? DeviceId { get; init; }
    public string? EntityType { get; init; }
    public string? EntityId { get; init; }

    /// <summary>The catalogue fields and any unknown extras, as a UTF-8 JSON object.</summary>
    public required byte[] Metadata { get; init; }

    /// <summary>The event's <c>context</c> object as UTF-8 JSON, or null.</summary>
    public byte[]? Context { get; init; }

    /// <summary>The event time after clock-skew correction (and clamping), used everywhere downstream.</summary>
    public required long OccurredAt { get; init; }

    /// <summary>The event time exactly as the client stated it.</summary>
    public required long ClientAt { get; init; }

    public long? SentAt { get; init; }
    public required long ReceivedAt { get; init; }

    /// <summary>Which door it came through: <c>api</c>, <c>segment</c>, <c>stripe</c>, <c>import</c>.</summary>
    public required string Source { get; init; }

    /// <summary>Comma-separated notes such as <c>unknown_type</c> or <c>future_at_clamped</c>; null when clean.</summary>
    public string? Warnings { get; init; }
}
