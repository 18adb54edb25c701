using System.Net;
using System.Text.Json;
using Coliseum.Tests.Capture;
using Coliseum.Tests.Infrastructure;
using static Coliseum.Tests.Stripe.StripePayloads;

namespace Coliseum.Tests.Stripe;

/// <summary>
/// Each Stripe event type Coliseum maps becomes the right catalogue event, and the money lands in the
/// treasury ledger exactly once, however Stripe repeats itself.
/// </summary>
public sealed class StripeMappingTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(StripeSigner.Settings(StripeSigner.Secret));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<JsonElement> DeliverAsync(string body)
    {
        var response = await StripeSigner.DeliverAsync(_server, body);
        var answer = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {answer}");
        return answer;
    }

    private string Stored(string messageId, string columns) =>
        _server.Scalar<string>($"SELECT {columns} FROM passport_entries WHERE message_id = '{messageId}'");

    private static string Meta(params string[] fields) => string.Join(" || '|' || ", fields.Select(f => $"COALESCE(json_extract(metadata, '$.{f}'), '∅')"));

    [Fact]
    public async Task A_completed_checkout_session_becomes_money_spent_by_the_fan_in_its_metadata()
    {
        var answer = await DeliverAsync(Event("checkout.session.completed",
            CheckoutSession("pi_3QJ8cK2eZvKYlo2C0aQyXz12", 9000, Metadata(("userId", "fan-7"), ("eventId", "event-9"), ("artistId", "artist-3"), ("reason", "ticket"))),
            "evt_1QJ8cL2eZvKYlo2CcheckoutA"));

        Assert.Equal("stored", answer.GetProperty("outcome").GetString());
        Assert.Equal("stripe:pi_3QJ8cK2eZvKYlo2C0aQyXz12", answer.GetProperty("messageId").GetString());
        Assert.Equal("treasury.money_spent|treasury|fan-7|artist|artist-3|stripe|2025-11-24T16:00:00.000Z|9000|usd|ticket|event-9|pi_3QJ8cK2eZvKYlo2C0aQyXz12|cs_test_a1b2c3d4e5f6g7h8i9j0|evt_1QJ8cL2eZvKYlo2CcheckoutA",
            Stored("stripe:pi_3QJ8cK2eZvKYlo2C0aQyXz12", "event_type || '|' || event_category || '|' || user_id || '|' || entity_type || '|' || entity_id || '|' || source || '|' || " + TestBackend.CreatedAtText + " || '|' || "
                + Meta("amountCents", "currency", "reason", "eventId", "stripePaymentIntentId", "stripeCheckoutSessionId", "stripeEventId")));
    }

    [Fact]
    public async Task Checkout_takes_the_fan_from_client_reference_id_and_a_subscription_reason_from_its_mode()
    {
        await DeliverAsync(Event("checkout.session.completed",
            CheckoutSession("unused", 999, Metadata(), clientReferenceId: "fan-ref-1", mode: "subscription"), "evt_checkout_subscription"));

        // No PaymentIntent in subscription mode: the Stripe event id is the messageId.
        Assert.Equal("fan-ref-1|999|subscription|∅", Stored("stripe:evt_checkout_subscription", "user_id || '|' || " + Meta("amountCents", "reason", "stripePaymentIntentId")));
    }

    [Fact]
    public async Task An_unpaid_checkout_is_skipped_and_its_later_async_payment_success_is_stored()
    {
        var unpaid = await DeliverAsync(Event("checkout.session.completed",
            CheckoutSession("pi_async_1", 2500, Metadata(("userId", "fan-8")), paymentStatus: "unpaid"), "evt_async_completed"));
        var paid = await DeliverAsync(Event("checkout.session.async_payment_succeeded",
            CheckoutSession("pi_async_1", 2500, Metadata(("userId", "fan-8"))), "evt_async_succeeded"));

        Assert.Equal("skipped", unpaid.GetProperty("outcome").GetString());
        Assert.Equal("the checkout session's payment_status is unpaid, not paid", unpaid.GetProperty("detail").GetString());
        Assert.Equal("stored", paid.GetProperty("outcome").GetString());
        Assert.Equal(1, _server.LogCount);
        Assert.Equal("fan-8|2500|other", Stored("stripe:pi_async_1", "user_id || '|' || " + Meta("amountCents", "reason")));
    }

    [Fact]
    public async Task A_succeeded_payment_intent_becomes_money_spent_with_the_amount_received()
    {
        await DeliverAsync(Event("payment_intent.succeeded",
            PaymentIntent("pi_direct_1", 1500, Metadata(("user_id", "fan-9"), ("reason", "tip"), ("artistId", "artist-4"))), "evt_pi_direct_1"));

        Assert.Equal("treasury.money_spent|fan-9|artist-4|1500|usd|tip|pi_direct_1",
            Stored("stripe:pi_direct_1", "event_type || '|' || user_id || '|' || entity_id || '|' || " + Meta("amountCents", "currency", "reason", "stripePaymentIntentId")));
    }

    [Fact]
    public async Task A_refunded_charge_becomes_refund_issued()
    {
        await DeliverAsync(Event("charge.refunded",
            Charge("ch_3QJ8cK2eZvKYlo2C0s8aPq1w", "pi_refund_1", 4500, 4500, Metadata(("userId", "fan-1"), ("eventId", "event-9")), ("re_3QJ8fullrefund", 4500)),
            "evt_refund_full", previous: new() { ["amount_refunded"] = 0, ["refunded"] = false }));

        Assert.Equal("treasury.refund_issued|fan-1|event|event-9|4500|usd|re_3QJ8fullrefund|ch_3QJ8cK2eZvKYlo2C0s8aPq1w|pi_refund_1",
            Stored("stripe:evt_refund_full", "event_type || '|' || user_id || '|' || entity_type || '|' || entity_id || '|' || "
                + Meta("amountCents", "currency", "stripeRefundId", "stripeChargeId", "stripePaymentIntentId")));
    }

    [Fact]
    public async Task A_created_transfer_becomes_money_earned_by_the_artist()
    {
        await DeliverAsync(Event("transfer.created",
            Transfer("tr_1QJ8dd2eZvKYlo2C", 7000, "acct_1QJ8Artist3", Metadata(("artistId", "artist-3"), ("source", "ticket_sales"), ("eventId", "event-9"))), "evt_transfer_1"));

        Assert.Equal("treasury.money_earned|artist-3|artist|artist-3|7000|usd|ticket_sales|tr_1QJ8dd2eZvKYlo2C|acct_1QJ8Artist3",
            Stored("stripe:evt_transfer_1", "event_type || '|' || user_id || '|' || entity_type || '|' || entity_id || '|' || "
                + Meta("amountCents", "currency", "source", "stripeTransferId", "stripeAccountId")));
    }

    [Fact]
    public async Task A_paid_payout_becomes_payout_completed_for_the_artist()
    {
        await DeliverAsync(Event("payout.paid", Payout("po_1QJ8ee2eZvKYlo2C", 6000, Metadata(("artistId", "artist-3"))), "evt_payout_1", account: "acct_1QJ8Artist3"));

        Assert.Equal("treasury.payout_completed|artist-3|artist-3|6000|usd|po_1QJ8ee2eZvKYlo2C|acct_1QJ8Artist3",
            Stored("stripe:evt_payout_1", "event_type || '|' || user_id || '|' || " + Meta("artistId", "amountCents", "currency", "stripePayoutId", "stripeAccountId")));
    }

    [Fact]
    public async Task A_failed_invoice_payment_becomes_payment_failed_for_the_subscriber()
    {
        await DeliverAsync(Event("invoice.payment_failed", Invoice("in_1QJ8ff2eZvKYlo2C", 999, "pi_invoice_1", Metadata(("userId", "fan-5"))), "evt_invoice_failed"));

        Assert.Equal("treasury.payment_failed|fan-5|999|usd|pi_invoice_1|in_1QJ8ff2eZvKYlo2C|2",
            Stored("stripe:evt_invoice_failed", "event_type || '|' || user_id || '|' || " + Meta("amountCents", "currency", "stripePaymentIntentId", "stripeInvoiceId", "attemptCount")));
    }

    [Fact]
    public async Task Subscriptions_created_and_deleted_become_subscription_started_and_cancelled_for_the_same_plan()
    {
        await DeliverAsync(Event("customer.subscription.created",
            Subscription("sub_1QJ8aa2eZvKYlo2C", Metadata(("userId", "fan-5")), "price_1QJ8PremiumMonthly", "premium_monthly", 999, "month", quantity: 2), "evt_sub_created"));
        await DeliverAsync(Event("customer.subscription.deleted",
            Subscription("sub_1QJ8aa2eZvKYlo2C", Metadata(("userId", "fan-5")), "price_1QJ8PremiumMonthly", "premium_monthly", 999, "month", quantity: 2,
                status: "canceled", cancellationReason: "cancellation_requested"), "evt_sub_deleted"));

        Assert.Equal("treasury.subscription_started|fan-5|premium_monthly|1998|usd|month|active",
            Stored("stripe:evt_sub_created", "event_type || '|' || user_id || '|' || " + Meta("plan", "amountCents", "currency", "interval", "stripeStatus")));
        Assert.Equal("treasury.subscription_cancelled|fan-5|premium_monthly|cancellation_requested",
            Stored("stripe:evt_sub_deleted", "event_type || '|' || user_id || '|' || " + Meta("plan", "reason")));
    }

    [Theory]
    [InlineData("checkout.session.completed", "no user: the checkout session has neither metadata.userId nor client_reference_id")]
    [InlineData("payment_intent.succeeded", "no user: the payment_intent's metadata has no userId")]
    [InlineData("invoice.payment_failed", "no user: the invoice's metadata has no userId")]
    [InlineData("payout.paid", "no artist: set metadata.artistId on the payout")]
    public async Task A_mapped_event_without_its_owner_is_acknowledged_as_skipped_and_not_stored(string type, string detail)
    {
        var data = type switch
        {
            "checkout.session.completed" => CheckoutSession("pi_nobody", 500, Metadata(("orderId", "o-1"))),
            "payment_intent.succeeded" => PaymentIntent("pi_nobody", 500, Metadata(("orderId", "o-1"))),
            "invoice.payment_failed" => Invoice("in_nobody", 500, null, Metadata()),
            _ => Payout("po_nobody", 500, Metadata()),
        };

        var answer = await DeliverAsync(Event(type, data, "evt_nobody"));

        Assert.Equal("skipped", answer.GetProperty("outcome").GetString());
        Assert.Equal(detail, answer.GetProperty("detail").GetString());
        Assert.Equal(0, _server.LogCount);
    }

    [Fact]
    public async Task A_mapped_event_the_catalogue_refuses_is_acknowledged_as_skipped_with_the_reason()
    {
        // A free checkout (a 100% coupon) has nothing to count: amountCents must be positive.
        var answer = await DeliverAsync(Event("checkout.session.completed", CheckoutSession("pi_free", 0, Metadata(("userId", "fan-1"))), "evt_free"));

        Assert.Equal("skipped", answer.GetProperty("outcome").GetString());
        Assert.Equal("treasury.money_spent", answer.GetProperty("eventType").GetString());
        Assert.Equal("amountCents must be a positive integer", answer.GetProperty("detail").GetString());
        Assert.Equal(0, _server.LogCount);
    }

    [Fact]
    public async Task An_event_type_Coliseum_does_not_map_is_acknowledged_and_not_stored()
    {
        var answer = await DeliverAsync(Event("customer.created", new() { ["id"] = "cus_R3xbPq8vTzLm2a", ["object"] = "customer", ["email"] = "fan@example.com" }, "evt_customer_created"));

        Assert.Equal("ignored", answer.GetProperty("outcome").GetString());
        Assert.Equal("customer.created", answer.GetProperty("stripeType").GetString());
        Assert.Equal(0, _server.LogCount);
    }

    [Fact]
    public async Task A_payment_seen_as_a_checkout_and_as_its_payment_intent_and_retried_lands_in_the_ledger_once()
    {
        var metadata = Metadata(("userId", "fan-1"), ("eventId", "event-9"), ("reason", "ticket"));
        var checkout = Event("checkout.session.completed", CheckoutSession("pi_once_1", 4500, metadata), "evt_once_checkout");
        var intent = Event("payment_intent.succeeded", PaymentIntent("pi_once_1", 4500, metadata.DeepClone().AsObject()), "evt_once_intent");

        var outcomes = new List<string?>();
        foreach (var body in new[] { checkout, intent, checkout, intent })
        {
            outcomes.Add((await DeliverAsync(body)).GetProperty("outcome").GetString());
        }
        await WaitForTreasuryAsync();

        Assert.Equal(["stored", "duplicate", "duplicate", "duplicate"], outcomes);
        Assert.Equal(1, _server.LogCount);
        Assert.Equal(["user|fan-1|usd|spent|4500|event-9"], Sql.Rows(_server.DatabasePath, "SELECT owner_type, owner_id, currency, kind, amount_cents, event_id FROM treasury_ledger"));
        Assert.Equal(["user|fan-1|usd|4500|-4500|1"], Sql.Rows(_server.DatabasePath, "SELECT owner_type, owner_id, currency, spent_cents, balance_cents, lines FROM treasury_balances"));
    }

    [Fact]
    public async Task Payments_refunds_in_parts_earnings_and_payouts_add_up_in_the_balances()
    {
        var fan = Metadata(("userId", "fan-1"), ("eventId", "event-9"), ("reason", "ticket"));
        await DeliverAsync(Event("payment_intent.succeeded", PaymentIntent("pi_sum_1", 4500, fan), "evt_sum_paid"));
        // Refunded in two parts: each event counts only its own part (previous_attributes says what was refunded before).
        await DeliverAsync(Event("charge.refunded", Charge("ch_sum_1", "pi_sum_1", 4500, 1000, fan.DeepClone().AsObject(), ("re_sum_1", 1000)),
            "evt_sum_refund_1", previous: new() { ["amount_refunded"] = 0 }));
        await DeliverAsync(Event("charge.refunded", Charge("ch_sum_1", "pi_sum_1", 4500, 4500, fan.DeepClone().AsObject(), ("re_sum_2", 3500), ("re_sum_1", 1000)),
            "evt_sum_refund_2", previous: new() { ["amount_refunded"] = 1000, ["refunded"] = false }));
        await DeliverAsync(Event("charge.refunded", Charge("ch_sum_1", "pi_sum_1", 4500, 4500, fan.DeepClone().AsObject(), ("re_sum_2", 3500), ("re_sum_1", 1000)),
            "evt_sum_refund_2", previous: new() { ["amount_refunded"] = 1000, ["refunded"] = false }));
        await DeliverAsync(Event("transfer.created", Transfer("tr_sum_1", 8000, "acct_artist3", Metadata(("artistId", "artist-3"))), "evt_sum_transfer"));
        await DeliverAsync(Event("payout.paid", Payout("po_sum_1", 5000, Metadata(("artistId", "artist-3"))), "evt_sum_payout", account: "acct_artist3"));
        await DeliverAsync(Event("invoice.payment_failed", Invoice("in_sum_1", 999, null, Metadata(("userId", "fan-1"))), "evt_sum_failed"));
        await WaitForTreasuryAsync();

        // owner | currency | spent earned refunded paid_out failed | balance | lines
        Assert.Equal(
        [
            "artist|artist-3|usd|0|8000|0|5000|0|3000|2",
            "user|fan-1|usd|4500|0|4500|0|999|0|4",
        ], Sql.Rows(_server.DatabasePath,
            "SELECT owner_type, owner_id, currency, spent_cents, earned_cents, refunded_cents, paid_out_cents, failed_cents, balance_cents, lines FROM treasury_balances ORDER BY owner_type"));
        Assert.Equal(0, _server.Scalar<long>("SELECT COUNT(*) FROM consumer_dead_letters"));
    }

    private async Task WaitForTreasuryAsync()
    {
        const string caughtUp = "SELECT (SELECT position FROM consumer_cursors WHERE name = 'treasury') >= (SELECT COALESCE(MAX(position), 0) FROM passport_log)";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_server.Scalar<long>(caughtUp) != 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "the treasury consumer did not catch up within 30 s");
            await Task.Delay(20);
        }
    }
}
