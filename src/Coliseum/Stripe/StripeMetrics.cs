using System.Diagnostics.Metrics;
using Coliseum.Diagnostics;

namespace Coliseum.Stripe;

/// <summary>
/// <c>coliseum_stripe_webhooks_total{outcome, type}</c> at <c>/metrics</c>: every webhook request, by what
/// became of it. <c>type</c> is the Stripe event type for the types Coliseum maps and <c>other</c> for the
/// rest, so the label set stays bounded whatever Stripe sends.
/// </summary>
internal static class StripeMetrics
{
    /// <summary>Stored in the log.</summary>
    public const string Stored = "stored";

    /// <summary>Already stored (a Stripe retry, or the second event of one payment).</summary>
    public const string Duplicate = "duplicate";

    /// <summary>A type Coliseum does not map: acknowledged, not stored.</summary>
    public const string Ignored = "ignored";

    /// <summary>A mapped type that cannot become a valid event (no user, unpaid, invalid): acknowledged, not stored.</summary>
    public const string Skipped = "skipped";

    /// <summary>Refused: bad or missing signature, stale timestamp, oversize or malformed body.</summary>
    public const string Rejected = "rejected";

    /// <summary>No webhook secret configured.</summary>
    public const string Unconfigured = "unconfigured";

    // Same meter name as ColiseumMetrics: the exporter already listens to it.
    private static readonly Meter Meter = new(ColiseumMetrics.MeterName, "1.0");

    private static readonly Counter<long> Webhooks = Meter.CreateCounter<long>("coliseum.stripe.webhooks", "{request}", "Stripe webhook requests by outcome");

    public static void Webhook(string outcome, string? stripeType) =>
        Webhooks.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("type", Label(stripeType)));

    private static string Label(string? stripeType) =>
        stripeType is not null && StripeEventMapper.HandledTypes.Contains(stripeType) ? stripeType : "other";
}
