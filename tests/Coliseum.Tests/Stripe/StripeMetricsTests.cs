using System.Net;
using System.Text;
using Coliseum.Tests.Capture;
using Coliseum.Tests.Infrastructure;
using static Coliseum.Tests.Stripe.StripePayloads;

namespace Coliseum.Tests.Stripe;

/// <summary>Every webhook is counted at <c>/metrics</c> by what became of it; unknown Stripe types share one label.</summary>
[Collection(MetricsCollection.Name)]
public sealed class StripeMetricsTests
{
    private const string Webhooks = "coliseum_stripe_webhooks_total";

    [Fact]
    public async Task Webhooks_are_counted_by_outcome_and_type()
    {
        await using var server = await TestServer.StartAsync(StripeSigner.Settings(StripeSigner.Secret));
        string[] series =
        [
            "outcome=\"ignored\",type=\"other\"",
            "outcome=\"stored\",type=\"payment_intent.succeeded\"",
            "outcome=\"duplicate\",type=\"payment_intent.succeeded\"",
            "outcome=\"skipped\",type=\"payout.paid\"",
            "outcome=\"rejected\",type=\"other\"",
        ];
        var before = await Prometheus.ScrapeAsync(server);
        var paid = StripeSignatureTests.Paid("evt_metrics_paid", "pi_metrics_paid");

        Assert.Equal(HttpStatusCode.OK, (await StripeSigner.DeliverAsync(server, Event("customer.created", new() { ["id"] = "cus_1", ["object"] = "customer" }, "evt_metrics_a"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await StripeSigner.DeliverAsync(server, Event("radar.early_fraud_warning.created", new() { ["id"] = "issfr_1" }, "evt_metrics_b"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await StripeSigner.DeliverAsync(server, paid)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await StripeSigner.DeliverAsync(server, paid)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await StripeSigner.DeliverAsync(server, Event("payout.paid", Payout("po_metrics", 100, Metadata()), "evt_metrics_c"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await StripeSigner.PostAsync(server, Encoding.UTF8.GetBytes(paid), "t=1,v1=" + new string('0', 64))).StatusCode);

        var after = await Prometheus.ScrapeAsync(server);
        Assert.Equal([2, 1, 1, 1, 1], series.Select(s => Prometheus.Sample(after, Webhooks, s) - Prometheus.Sample(before, Webhooks, s)));
        Assert.Equal(1, server.LogCount);
    }
}
