using System.Net;
using System.Text;
using Coliseum.Tests.Infrastructure;
using static Coliseum.Tests.Stripe.StripePayloads;
using StripeNet = global::Stripe;

namespace Coliseum.Tests.Stripe;

/// <summary>
/// Stripe's own .NET library as an independent witness: it accepts what the test signer signs, the server
/// accepts what it signs, and it reads the test payloads' fields where Stripe puts them. It is not used by
/// the server, whose reading of events must not depend on one API version (the last test shows why).
/// </summary>
public sealed class StripeNetCrossCheckTests
{
    [Fact]
    public void Stripe_net_accepts_the_test_signers_header()
    {
        var body = StripeSignatureTests.Paid();
        var now = StripeSigner.Now;

        StripeNet.EventUtility.ValidateSignature(body, StripeSigner.Header(body, timestamp: now), StripeSigner.Secret, 300, now);
        Assert.Throws<StripeNet.StripeException>(() =>
            StripeNet.EventUtility.ValidateSignature(body, StripeSigner.Header(body, "whsec_other0000000000000000000000000000", now), StripeSigner.Secret, 300, now));
    }

    [Fact]
    public async Task The_server_accepts_a_header_made_by_Stripe_net()
    {
        await using var server = await TestServer.StartAsync(StripeSigner.Settings(StripeSigner.Secret));
        var body = StripeSignatureTests.Paid();

        var header = StripeNet.EventUtility.GenerateSignatureHeader(body, StripeSigner.Secret, StripeSigner.Now);
        var response = await StripeSigner.PostAsync(server, Encoding.UTF8.GetBytes(body), header);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, server.LogCount);
    }

    [Fact]
    public void Stripe_net_reads_the_test_payloads_fields_where_Stripe_puts_them()
    {
        var checkout = Parse<StripeNet.Checkout.Session>(Event("checkout.session.completed",
            CheckoutSession("pi_x", 4500, Metadata(("userId", "fan-1")), clientReferenceId: "fan-ref")));
        Assert.Equal((4500L, "pi_x", "fan-ref", "paid", "fan-1"), (checkout.AmountTotal!.Value, checkout.PaymentIntentId, checkout.ClientReferenceId, checkout.PaymentStatus, checkout.Metadata["userId"]));

        var intent = Parse<StripeNet.PaymentIntent>(Event("payment_intent.succeeded", PaymentIntent("pi_y", 1500, Metadata())));
        Assert.Equal((1500L, "usd"), (intent.AmountReceived, intent.Currency));

        var charge = Parse<StripeNet.Charge>(Event("charge.refunded", Charge("ch_z", "pi_z", 4500, 1000, Metadata(), ("re_1", 1000))));
        Assert.Equal((1000L, "re_1", "pi_z"), (charge.AmountRefunded, charge.Refunds.Data[0].Id, charge.PaymentIntentId));

        var transfer = Parse<StripeNet.Transfer>(Event("transfer.created", Transfer("tr_1", 7000, "acct_1", Metadata())));
        Assert.Equal((7000L, "acct_1"), (transfer.Amount, transfer.DestinationId));

        var payout = Parse<StripeNet.Payout>(Event("payout.paid", Payout("po_1", 6000, Metadata(("artistId", "artist-3")))));
        Assert.Equal((6000L, "paid", "artist-3"), (payout.Amount, payout.Status, payout.Metadata["artistId"]));

        var invoice = Parse<StripeNet.Invoice>(Event("invoice.payment_failed", Invoice("in_1", 999, null, Metadata())));
        Assert.Equal((999L, 2L), (invoice.AmountDue, invoice.AttemptCount));

        var subscription = Parse<StripeNet.Subscription>(Event("customer.subscription.deleted",
            Subscription("sub_1", Metadata(), "price_1", "premium_monthly", 999, "month", cancellationReason: "cancellation_requested")));
        var price = subscription.Items.Data[0].Price;
        Assert.Equal(("premium_monthly", 999L, "month", "cancellation_requested"), (price.LookupKey, price.UnitAmount!.Value, price.Recurring.Interval, subscription.CancellationDetails.Reason));
    }

    [Fact]
    public void Stripe_net_refuses_by_default_an_event_from_an_endpoint_pinned_to_another_API_version()
    {
        // Why the server reads the JSON itself: Stripe sends each endpoint's events in the API version it
        // was created with, and Stripe.net's default parse refuses every version but its own.
        var body = StripeSignatureTests.Paid();

        var error = Assert.Throws<StripeNet.StripeException>(() => StripeNet.EventUtility.ParseEvent(body));

        Assert.Contains("2024-06-20", error.Message, StringComparison.Ordinal);
    }

    private static T Parse<T>(string json) where T : StripeNet.IHasObject =>
        Assert.IsType<T>(StripeNet.EventUtility.ParseEvent(json, throwOnApiVersionMismatch: false).Data.Object);
}
