using System.Net;
using System.Text;
using Coliseum.Tests.Capture;
using Coliseum.Tests.Infrastructure;
using static Coliseum.Tests.Stripe.StripePayloads;

namespace Coliseum.Tests.Stripe;

/// <summary>
/// Only bodies signed now by a configured secret get in: a changed byte, another secret, a stale or
/// future timestamp, or a missing or garbled header is a 400 that stores nothing.
/// </summary>
public sealed class StripeSignatureTests : IAsyncLifetime
{
    private const string HeaderName = "Stripe-Signature";

    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(StripeSigner.Settings(StripeSigner.Secret));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    internal static string Paid(string eventId = "evt_3QJ8cK2eZvKYlo2C1aBcDeFg", string paymentIntent = "pi_3QJ8cK2eZvKYlo2C0aQyXz12", long amount = 4500) =>
        Event("payment_intent.succeeded", PaymentIntent(paymentIntent, amount, Metadata(("userId", "fan-1"), ("eventId", "event-9"), ("reason", "ticket"))), eventId);

    /// <summary>Another sender cannot take a Stripe event's messageId first and so stop the payment from counting.</summary>
    [Fact]
    public async Task Capture_refuses_the_messageId_prefix_kept_for_stripe()
    {
        await using var server = await TestServer.StartAsync(StripeSigner.Settings(StripeSigner.Secret));
        using var taken = await server.PostAsync("/api/passport/log",
            """{"type":"treasury.money_spent","userId":"fan-1","at":"2026-11-25T20:00:00Z","amountCents":1,"currency":"usd","reason":"ticket","messageId":"stripe:pi_pre_empted"}""");
        await taken.AssertProblemAsync(HttpStatusCode.BadRequest, "messageId must not start with 'stripe:': that prefix is kept for events from Stripe's webhook", "messageId");
        using var delivered = await StripeSigner.DeliverAsync(server, Paid("evt_pre_empted", "pi_pre_empted"));
        Assert.Equal("stored", (await delivered.ReadJsonAsync()).GetProperty("outcome").GetString());
        Assert.Equal(1, server.Scalar<long>("SELECT COUNT(*) FROM passport_log WHERE message_id = 'stripe:pi_pre_empted'"));
    }

    [Fact]
    public async Task A_correctly_signed_event_is_stored_and_acknowledged_with_200()
    {
        var response = await StripeSigner.DeliverAsync(_server, Paid());

        var body = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("stored", body.GetProperty("outcome").GetString());
        Assert.Equal("treasury.money_spent", body.GetProperty("eventType").GetString());
        Assert.Equal("stripe:pi_3QJ8cK2eZvKYlo2C0aQyXz12|treasury.money_spent|fan-1|stripe|4500", _server.Scalar<string>(
            "SELECT message_id || '|' || event_type || '|' || user_id || '|' || source || '|' || json_extract(metadata, '$.amountCents') FROM passport_log"));
    }

    [Fact]
    public async Task A_body_changed_after_signing_is_refused_and_nothing_is_stored()
    {
        var signed = Paid(amount: 4500);
        var header = StripeSigner.Header(signed);
        var tampered = Encoding.UTF8.GetBytes(signed.Replace("\"amount_received\": 4500", "\"amount_received\": 45000", StringComparison.Ordinal));
        Assert.NotEqual(signed, Encoding.UTF8.GetString(tampered));

        var response = await StripeSigner.PostAsync(_server, tampered, header);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest,
            "no v1 signature in the Stripe-Signature header matches the body under the configured webhook secrets", HeaderName);
        Assert.Equal(0, _server.LogCount);
    }

    [Fact]
    public async Task A_body_signed_with_another_secret_is_refused()
    {
        var response = await StripeSigner.DeliverAsync(_server, Paid(), secret: "whsec_someoneElsesEndpoint000000000000000");

        await response.AssertProblemAsync(HttpStatusCode.BadRequest,
            "no v1 signature in the Stripe-Signature header matches the body under the configured webhook secrets", HeaderName);
        Assert.Equal(0, _server.LogCount);
    }

    [Theory]
    [InlineData(-400, "old")]
    [InlineData(400, "in the future")]
    public async Task A_timestamp_outside_the_tolerance_either_way_is_refused_though_the_signature_is_right(int offsetSeconds, string words)
    {
        var body = Paid();

        var response = await StripeSigner.PostAsync(_server, Encoding.UTF8.GetBytes(body), StripeSigner.Header(body, timestamp: StripeSigner.Now + offsetSeconds));

        var problem = await response.AssertProblemStartingWithAsync(HttpStatusCode.BadRequest, "the Stripe-Signature timestamp is ", HeaderName);
        Assert.EndsWith($"s {words}; the tolerance is 300 s", problem.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, _server.LogCount);
    }

    [Theory]
    [InlineData(-200)]
    [InlineData(200)]
    public async Task A_timestamp_within_the_tolerance_is_accepted(int offsetSeconds)
    {
        var body = Paid();

        var response = await StripeSigner.PostAsync(_server, Encoding.UTF8.GetBytes(body), StripeSigner.Header(body, timestamp: StripeSigner.Now + offsetSeconds));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, _server.LogCount);
    }

    public static TheoryData<string?, string> GarbledHeaders()
    {
        var hex = new string('a', 64);
        var now = StripeSigner.Now;
        return new()
        {
            { null, "the Stripe-Signature header is missing" },
            { "", "the Stripe-Signature header is missing" },
            { "sha256=" + hex, "the Stripe-Signature header has no timestamp (t=…)" },
            { "garbage", "the Stripe-Signature header is not a list of key=value pairs (t=…,v1=…)" },
            { $"t=yesterday,v1={hex}", "the Stripe-Signature header's t must be one Unix time in seconds" },
            { $"t=-5,v1={hex}", "the Stripe-Signature header's t must be one Unix time in seconds" },
            { $"t={now},t={now},v1={hex}", "the Stripe-Signature header's t must be one Unix time in seconds" },
            { $"v1={hex}", "the Stripe-Signature header has no timestamp (t=…)" },
            { $"t={now}", "the Stripe-Signature header has no v1 signature (v1=<64 hex digits>)" },
            { $"t={now},v1=", "the Stripe-Signature header has no v1 signature (v1=<64 hex digits>)" },
            { $"t={now},v1={hex[..40]}", "the Stripe-Signature header has no v1 signature (v1=<64 hex digits>)" },
            { $"t={now},v1={new string('z', 64)}", "the Stripe-Signature header has no v1 signature (v1=<64 hex digits>)" },
            { $"t={now},{new string(',', 5000)}", "the Stripe-Signature header is longer than 4096 characters" },
        };
    }

    [Theory]
    [MemberData(nameof(GarbledHeaders))]
    public async Task A_missing_or_garbled_header_is_refused_naming_it(string? header, string error)
    {
        var response = await StripeSigner.PostAsync(_server, Encoding.UTF8.GetBytes(Paid()), header);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, error, HeaderName);
        Assert.Equal(0, _server.LogCount);
    }

    [Fact]
    public async Task A_v0_signature_alone_does_not_count_even_when_it_is_the_right_hmac()
    {
        var body = Paid();
        var t = StripeSigner.Now;

        var response = await StripeSigner.PostAsync(_server, Encoding.UTF8.GetBytes(body), $"t={t},v0={StripeSigner.V1(Encoding.UTF8.GetBytes(body), StripeSigner.Secret, t)}");

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "the Stripe-Signature header has no v1 signature (v1=<64 hex digits>)", HeaderName);
    }

    [Fact]
    public async Task Other_schemes_and_a_wrong_v1_beside_the_right_one_do_not_hide_it()
    {
        var body = Encoding.UTF8.GetBytes(Paid());
        var t = StripeSigner.Now;
        var header = $"t={t}, v1={new string('0', 64)}, v0={new string('1', 64)}, v1={StripeSigner.V1(body, StripeSigner.Secret, t)}";

        var response = await StripeSigner.PostAsync(_server, body, header);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_signature_is_checked_over_the_bytes_exactly_as_sent()
    {
        // Stripe pretty-prints; these bytes also carry CRLF line ends and non-ASCII text.
        var original = Event("payment_intent.succeeded",
            PaymentIntent("pi_3QJ8cK2eZvKYlo2C0aQyXz99", 1200, Metadata(("userId", "fan-ñandú"), ("reason", "merch"), ("eventId", "Bogotá 🎸"))), "evt_bytes_1");
        var bytes = Encoding.UTF8.GetBytes(original.Replace("\n", "\r\n", StringComparison.Ordinal));
        var header = StripeSigner.Header(bytes);
        var reserialized = Encoding.UTF8.GetBytes(System.Text.Json.Nodes.JsonNode.Parse(bytes)!.ToJsonString());

        var refused = await StripeSigner.PostAsync(_server, reserialized, header);
        var accepted = await StripeSigner.PostAsync(_server, bytes, header);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal("fan-ñandú|Bogotá 🎸", _server.Scalar<string>("SELECT user_id || '|' || json_extract(metadata, '$.eventId') FROM passport_log"));
    }

    [Fact]
    public async Task Stripe_retrying_the_same_event_stores_it_once()
    {
        var body = Paid();

        var first = await StripeSigner.DeliverAsync(_server, body);
        // A retry is signed anew, with a later timestamp: the event id is what makes it the same.
        var retry = await StripeSigner.PostAsync(_server, Encoding.UTF8.GetBytes(body), StripeSigner.Header(body, timestamp: StripeSigner.Now + 5));

        Assert.Equal("stored", (await first.ReadJsonAsync()).GetProperty("outcome").GetString());
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("duplicate", (await retry.ReadJsonAsync()).GetProperty("outcome").GetString());
        Assert.Equal(1, _server.LogCount);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413()
    {
        var padded = Paid().Replace("\"description\": null", $"\"description\": \"{new string('x', 600 * 1024)}\"", StringComparison.Ordinal);

        var response = await StripeSigner.DeliverAsync(_server, padded);

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge,
            $"the body is {Encoding.UTF8.GetByteCount(padded)} bytes; the limit is 524288 bytes (Coliseum:Stripe:MaxBodyBytes)");
        Assert.Equal(0, _server.LogCount);
    }

    [Theory]
    [InlineData("not json at all", "the body is not valid JSON: ")]
    [InlineData("[1,2,3]", "a Stripe event is a JSON object, not an array")]
    [InlineData("{\"object\":\"event\",\"type\":\"payment_intent.succeeded\"}", "not a Stripe event: id must be a string of 1 to 100 characters")]
    [InlineData("{\"id\":\"evt_1\",\"type\":\"payment_intent.succeeded\",\"created\":1764000000,\"data\":{}}", "not a Stripe event: data.object must be an object")]
    public async Task A_signed_body_that_is_not_a_Stripe_event_is_refused(string body, string errorPrefix)
    {
        var response = await StripeSigner.DeliverAsync(_server, body);

        await response.AssertProblemStartingWithAsync(HttpStatusCode.BadRequest, errorPrefix, errorPrefix.StartsWith("not a Stripe event: id", StringComparison.Ordinal) ? "id"
            : errorPrefix.Contains("data.object", StringComparison.Ordinal) ? "data.object" : null);
        Assert.Equal(0, _server.LogCount);
    }
}
