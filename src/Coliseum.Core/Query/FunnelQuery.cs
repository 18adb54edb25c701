using System.Text.Json;

namespace Coliseum.Query;

/// <summary>
/// A validated funnel: 2–10 step types, the window after a step-1 event in which every later step must
/// happen, the range step-1 events must fall in (<c>[From, To)</c>, Unix ms), field filters and an optional
/// breakdown of the users by a property of their best attempt's step-1 event.
/// </summary>
public sealed record FunnelQuery(IReadOnlyList<string> Steps, long WithinMs, long From, long To)
{
    public IReadOnlyList<FunnelFilter> Filters { get; init; } = [];

    /// <summary><c>context.…</c> (the event's context object) or the name of a field of the step-1 type; null for none.</summary>
    public string? Breakdown { get; init; }

    /// <summary>How many breakdown values are listed (the most step-1 users first); the rest are merged as <c>(other)</c>.</summary>
    public int BreakdownLimit { get; init; } = 10;

    public bool BreakdownIsContext => Breakdown?.StartsWith("context.", StringComparison.Ordinal) == true;
}

/// <summary>A field that must equal a value on every step whose event type has that field.</summary>
public sealed record FunnelFilter(string Field, JsonElement Value)
{
    public bool Matches(JsonElement metadata)
    {
        if (!metadata.TryGetProperty(Field, out var actual))
        {
            return false;
        }
        return (Value.ValueKind, actual.ValueKind) switch
        {
            (JsonValueKind.String, JsonValueKind.String) => actual.ValueEquals(Value.GetString()),
            (JsonValueKind.Number, JsonValueKind.Number) => actual.TryGetDecimal(out var a) && Value.TryGetDecimal(out var b) && a == b,
            (JsonValueKind.True, JsonValueKind.True) or (JsonValueKind.False, JsonValueKind.False) => true,
            _ => false,
        };
    }
}
