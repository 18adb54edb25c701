using System.Text.Json.Serialization;

namespace Coliseum.Stripe;

/// <summary>
/// The 200 answer to a verified webhook (Stripe reads only the status; this is for people).
/// <c>outcome</c>: <c>stored</c>, <c>duplicate</c>, <c>ignored</c> (a type Coliseum does not map) or
/// <c>skipped</c> (a mapped type that could not become a valid event; <c>detail</c> says why).
/// </summary>
public sealed record StripeWebhookResponse(
    bool Received,
    string Outcome,
    string StripeEventId,
    string StripeType,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? EventType = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? MessageId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail = null);
