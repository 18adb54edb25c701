using System.Collections.Frozen;
using System.Text.Json;
using Coliseum.Capture;
using static Coliseum.Stripe.StripeJson;

namespace Coliseum.Stripe;

/// <summary>
/// Turns the Stripe events Coliseum understands into catalogue events (see docs/stripe.md for the table).
/// Reads the raw JSON rather than Stripe.net's classes, which follow one API version: an endpoint pinned
/// to an older or newer version still maps, because every field is read where any version puts it and a
/// missing one reads as absent.
/// </summary>
internal static class StripeEventMapper
{
    public static readonly FrozenSet<string> HandledTypes = FrozenSet.Create(StringComparer.Ordinal,
        "checkout.session.completed", "checkout.session.async_payment_succeeded", "payment_intent.succeeded", "charge.refunded",
        "transfer.created", "payout.paid", "invoice.payment_failed", "customer.subscription.created", "customer.subscription.deleted");

    private static readonly FrozenSet<string> SpendReasons = FrozenSet.Create(StringComparer.Ordinal, "ticket", "tip", "subscription", "merch", "other");

    /// <summary>
    /// The event to store, or null with <paramref name="skipped"/> saying why a handled type cannot be
    /// stored (null too when the type is not handled at all).
    /// </summary>
    public static StripeDraft? Map(in StripeEvent e, out string? skipped)
    {
        skipped = null;
        var o = e.Object;
        switch (e.Type)
        {
            case "checkout.session.completed" or "checkout.session.async_payment_succeeded":
            {
                // An asynchronous payment method completes the session unpaid; its async_payment_succeeded follows.
                var status = Text(o, "payment_status");
                if (status != "paid")
                {
                    skipped = $"the checkout session's payment_status is {status ?? "missing"}, not paid";
                    return null;
                }
                var paymentIntent = Id(o, "payment_intent");
                var fallbackReason = Text(o, "mode") == "subscription" ? "subscription" : "other";
                return Spent(e, FanOf(o) ?? Text(o, "client_reference_id"), paymentIntent, Long(o, "amount_total"), fallbackReason, ref skipped)
                    ?.With("stripeCheckoutSessionId", Text(o, "id"));
            }
            case "payment_intent.succeeded":
                return Spent(e, FanOf(o), Text(o, "id"), Long(o, "amount_received") ?? Long(o, "amount"), "other", ref skipped);
            case "charge.refunded":
                return Fan(e, "treasury.refund_issued", MessageIdOf(e), FanOf(o), ref skipped)
                    ?.With("amountCents", RefundedNow(e))
                    .With("currency", Text(o, "currency"))
                    .With("stripeRefundId", Text(First(Object(o, "refunds")), "id"))
                    .With("eventId", Metadata(o, "eventId"))
                    .With("stripeChargeId", Text(o, "id"))
                    .With("stripePaymentIntentId", Id(o, "payment_intent"));
            case "transfer.created":
            {
                var artist = Metadata(o, "artistId");
                return Artist(e, "treasury.money_earned", FanOf(o) ?? artist, "set metadata.artistId (or userId) on the transfer", ref skipped)
                    ?.With("amountCents", Long(o, "amount"))
                    .With("currency", Text(o, "currency"))
                    .With("source", Metadata(o, "source") ?? "stripe_transfer")
                    .With("artistId", artist)
                    .With("eventId", Metadata(o, "eventId"))
                    .With("stripeTransferId", Text(o, "id"))
                    .With("stripeAccountId", Id(o, "destination"));
            }
            case "payout.paid":
            {
                var artist = Metadata(o, "artistId");
                return Artist(e, "treasury.payout_completed", artist is null ? null : FanOf(o) ?? artist, "set metadata.artistId on the payout", ref skipped)
                    ?.With("artistId", artist)
                    .With("amountCents", Long(o, "amount"))
                    .With("currency", Text(o, "currency"))
                    .With("stripePayoutId", Text(o, "id"))
                    .With("stripeAccountId", e.Account);
            }
            case "invoice.payment_failed":
            {
                // Where the subscription's metadata sits depends on the API version (parent since 2025-03-31.basil).
                var user = FanOf(o) ?? FanOf(Object(o, "subscription_details")) ?? FanOf(Object(Object(o, "parent"), "subscription_details"));
                return Fan(e, "treasury.payment_failed", MessageIdOf(e), user, ref skipped)
                    ?.With("amountCents", Long(o, "amount_due"))
                    .With("currency", Text(o, "currency"))
                    .With("stripePaymentIntentId", Id(o, "payment_intent"))
                    .With("stripeInvoiceId", Text(o, "id"))
                    .With("attemptCount", Long(o, "attempt_count"));
            }
            case "customer.subscription.created":
            {
                var price = PriceOf(o);
                return Fan(e, "treasury.subscription_started", MessageIdOf(e), FanOf(o), ref skipped)
                    ?.With("plan", PlanOf(o, price))
                    .With("amountCents", SubscriptionAmount(o))
                    .With("currency", Text(o, "currency") ?? Text(price, "currency"))
                    .With("interval", Text(Object(price, "recurring"), "interval"))
                    .With("stripeSubscriptionId", Text(o, "id"))
                    .With("stripeStatus", Text(o, "status"));
            }
            case "customer.subscription.deleted":
                return Fan(e, "treasury.subscription_cancelled", MessageIdOf(e), FanOf(o), ref skipped)
                    ?.With("plan", PlanOf(o, PriceOf(o)))
                    .With("reason", Text(Object(o, "cancellation_details"), "reason"))
                    .With("stripeSubscriptionId", Text(o, "id"));
            default:
                return null;
        }
    }

    /// <summary>
    /// A payment: keyed by its PaymentIntent, so a Checkout Session's completion and its PaymentIntent's
    /// success (two Stripe events for one payment) are one stored event; the first to arrive is kept.
    /// </summary>
    private static StripeDraft? Spent(in StripeEvent e, string? user, string? paymentIntent, long? amount, string fallbackReason, ref string? skipped)
    {
        var reason = Metadata(e.Object, "reason") is { } r && SpendReasons.Contains(r) ? r : fallbackReason;
        var messageId = paymentIntent is { Length: > 0 and <= 90 } ? EventValidator.StripeMessageIdPrefix + paymentIntent : MessageIdOf(e);
        return Fan(e, "treasury.money_spent", messageId, user, ref skipped)
            ?.With("amountCents", amount)
            .With("currency", Text(e.Object, "currency"))
            .With("reason", reason)
            .With("eventId", Metadata(e.Object, "eventId"))
            .With("artistId", Metadata(e.Object, "artistId"))
            .With("stripePaymentIntentId", paymentIntent);
    }

    /// <summary>An event of a fan's money: stored only when the fan is known.</summary>
    private static StripeDraft? Fan(in StripeEvent e, string type, string messageId, string? user, ref string? skipped)
    {
        if (user is null)
        {
            skipped = e.Type.StartsWith("checkout.session.", StringComparison.Ordinal)
                ? "no user: the checkout session has neither metadata.userId nor client_reference_id"
                : $"no user: the {Text(e.Object, "object") ?? "object"}'s metadata has no userId";
            return null;
        }
        return Common(e, new StripeDraft(type, messageId, user, e.Created));
    }

    /// <summary>An event of an artist's money: stored only when the artist (or the acting user) is known.</summary>
    private static StripeDraft? Artist(in StripeEvent e, string type, string? user, string hint, ref string? skipped)
    {
        if (user is null)
        {
            skipped = $"no artist: {hint}";
            return null;
        }
        return Common(e, new StripeDraft(type, MessageIdOf(e), user, e.Created));
    }

    private static StripeDraft Common(in StripeEvent e, StripeDraft draft) =>
        draft.With("stripeEventId", e.Id).With("stripeLivemode", e.Livemode);

    /// <summary>Stripe's event id under the prefix only the webhook may use (<c>stripe:evt_…</c>): Stripe's retries are stored once, and no other sender can take the id first.</summary>
    private static string MessageIdOf(in StripeEvent e) => EventValidator.StripeMessageIdPrefix + e.Id;

    private static string? FanOf(JsonElement? o) => Metadata(o, "userId") ?? Metadata(o, "user_id");

    /// <summary>
    /// What this refund gave back: the growth of <c>amount_refunded</c> since the previous state when Stripe
    /// sends it, else the newest refund's amount, else the whole amount refunded. A charge refunded in two
    /// parts sends two events, and each must count only its own part.
    /// </summary>
    private static long? RefundedNow(in StripeEvent e)
    {
        var total = Long(e.Object, "amount_refunded");
        if (total is { } after && Long(e.PreviousAttributes, "amount_refunded") is { } before)
        {
            // Negative amounts are not Stripe's; refusing them here also keeps the subtraction from wrapping.
            return after >= 0 && before >= 0 ? after - before : null;
        }
        return Long(First(Object(e.Object, "refunds")), "amount") ?? total;
    }

    /// <summary>The first item's price (<c>plan</c> on API versions before prices).</summary>
    private static JsonElement? PriceOf(JsonElement o)
    {
        var item = First(Object(o, "items"));
        return Object(item, "price") ?? Object(item, "plan");
    }

    /// <summary>metadata.plan, else the price's lookup key, else its id: the same for a subscription's start and its end.</summary>
    private static string? PlanOf(JsonElement o, JsonElement? price) =>
        Metadata(o, "plan") ?? Text(price, "lookup_key") ?? Text(price, "id");

    /// <summary>Every item's unit amount times its quantity, per billing interval; null when an item has no unit amount (tiered or metered).</summary>
    private static long? SubscriptionAmount(JsonElement o)
    {
        if (Property(Object(o, "items"), "data") is not { ValueKind: JsonValueKind.Array } items)
        {
            return null;
        }
        long total = 0;
        foreach (var item in items.EnumerateArray())
        {
            var price = Object(item, "price") ?? Object(item, "plan");
            var quantity = Long(item, "quantity") ?? 1;
            if (Long(price, "unit_amount") is not { } unit || quantity < 0)
            {
                return null;
            }
            try
            {
                total = checked(total + checked(unit * quantity));
            }
            catch (OverflowException)
            {
                return null;
            }
        }
        return total;
    }
}
