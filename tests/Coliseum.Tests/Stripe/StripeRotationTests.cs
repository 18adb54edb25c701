using System.Net;
using System.Text;
using Coliseum.Tests.Capture;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Stripe;

/// <summary>Rolling the signing secret: both the old and the new are accepted while both are configured; none configured is a clear 503.</summary>
public sealed class StripeRotationTests
{
    [Fact]
    public async Task During_a_rotation_events_signed_with_the_old_or_the_new_secret_are_both_accepted()
    {
        await using var server = await TestServer.StartAsync(StripeSigner.Settings(StripeSigner.Secret, StripeSigner.NewSecret));
        var oldSigned = StripeSignatureTests.Paid("evt_old_secret", "pi_old_secret");
        var newSigned = StripeSignatureTests.Paid("evt_new_secret", "pi_new_secret");
        var bothSigned = Encoding.UTF8.GetBytes(StripeSignatureTests.Paid("evt_both_secrets", "pi_both_secrets"));
        var t = StripeSigner.Now;
        // What Stripe sends while a rolled secret has not yet expired: one v1 per secret.
        var both = $"t={t},v1={StripeSigner.V1(bothSigned, StripeSigner.NewSecret, t)},v1={StripeSigner.V1(bothSigned, StripeSigner.Secret, t)}";

        Assert.Equal(HttpStatusCode.OK, (await StripeSigner.DeliverAsync(server, oldSigned, StripeSigner.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await StripeSigner.DeliverAsync(server, newSigned, StripeSigner.NewSecret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await StripeSigner.PostAsync(server, bothSigned, both)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await StripeSigner.DeliverAsync(server, StripeSignatureTests.Paid("evt_third", "pi_third"), "whsec_neitherOfThem000000000000000000000")).StatusCode);
        Assert.Equal(3, server.LogCount);
    }

    [Fact]
    public async Task Once_the_old_secret_is_removed_it_is_no_longer_accepted()
    {
        await using var server = await TestServer.StartAsync(StripeSigner.Settings(StripeSigner.NewSecret));

        var response = await StripeSigner.DeliverAsync(server, StripeSignatureTests.Paid(), StripeSigner.Secret);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, server.LogCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Without_a_secret_the_endpoint_answers_503_naming_the_setting_and_stores_nothing(bool blankSecret)
    {
        await using var server = await TestServer.StartAsync(blankSecret ? StripeSigner.Settings("  ") : null);

        var response = await StripeSigner.DeliverAsync(server, StripeSignatureTests.Paid());

        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable,
            "Stripe webhooks are not configured: set Coliseum__Stripe__WebhookSecrets__0 to the endpoint's signing secret (whsec_…)");
        Assert.Equal(0, server.LogCount);
    }

    [Fact]
    public async Task An_invalid_tolerance_stops_the_server_at_start_naming_the_setting()
    {
        var settings = StripeSigner.Settings(StripeSigner.Secret);
        settings["Coliseum:Stripe:ToleranceSeconds"] = "0";

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => TestServer.StartAsync(settings));

        Assert.Contains("Coliseum:Stripe:ToleranceSeconds must be between 1 and 86400", error.Message, StringComparison.Ordinal);
    }
}
