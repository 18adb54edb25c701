using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Capture;

/// <summary>Segment's HTTP Tracking API, so Segment's client libraries can point at Coliseum unchanged.</summary>
public sealed class SegmentTests : IAsyncLifetime
{
    private const string Accepted1 = """{"success":true,"accepted":1,"duplicates":0,"rejected":[]}""";

    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>POSTs as Segment's libraries do: the write key as the Basic user name, an empty password.</summary>
    internal static async Task<HttpResponseMessage> SendAsync(TestServer server, string path, string body, string contentType = "application/json", string? basicKey = TestServer.WriteKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (basicKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basicKey + ":")));
        }
        return await server.Client.SendAsync(request);
    }

    private Task<HttpResponseMessage> SendAsync(string path, string body, string contentType = "application/json") => SendAsync(_server, path, body, contentType);

    private string Stored(string column, string messageId) =>
        _server.Scalar<string>($"SELECT {column} FROM passport_entries WHERE message_id = '{messageId}'");

    private static string Track(string messageId = "seg-track") => $$$"""
        {"userId":"fan-1","event":"player.track_played","messageId":"{{{messageId}}}",
         "properties":{"trackId":"track-1","artistId":"artist-1","durationSeconds":214}}
        """;

    public static TheoryData<string, string, string> EveryCall => new()
    {
        { "/v1/track", Track("seg-1"), "player.track_played" },
        { "/v1/t", Track("seg-1"), "player.track_played" },
        { "/v1/identify", """{"userId":"fan-1","messageId":"seg-1","traits":{"name":"Ana"}}""", "passport.identified" },
        { "/v1/i", """{"userId":"fan-1","messageId":"seg-1","traits":{"name":"Ana"}}""", "passport.identified" },
        { "/v1/page", """{"userId":"fan-1","messageId":"seg-1","name":"Home","properties":{"path":"/home"}}""", "passport.page_viewed" },
        { "/v1/p", """{"userId":"fan-1","messageId":"seg-1","name":"Home","properties":{"path":"/home"}}""", "passport.page_viewed" },
        { "/v1/screen", """{"userId":"fan-1","messageId":"seg-1","name":"Player"}""", "passport.page_viewed" },
        { "/v1/s", """{"userId":"fan-1","messageId":"seg-1","name":"Player"}""", "passport.page_viewed" },
        { "/v1/group", """{"userId":"fan-1","messageId":"seg-1","groupId":"label-9","traits":{"name":"Indie"}}""", "passport.identified" },
        { "/v1/g", """{"userId":"fan-1","messageId":"seg-1","groupId":"label-9","traits":{"name":"Indie"}}""", "passport.identified" },
        { "/v1/alias", """{"userId":"fan-1","messageId":"seg-1","previousId":"anon-7"}""", "passport.logged_in" },
        { "/v1/a", """{"userId":"fan-1","messageId":"seg-1","previousId":"anon-7"}""", "passport.logged_in" },
        { "/v1/batch", """{"batch":[{"type":"identify","userId":"fan-1","messageId":"seg-1","traits":{}}]}""", "passport.identified" },
        { "/v1/b", """{"batch":[{"type":"identify","userId":"fan-1","messageId":"seg-1","traits":{}}]}""", "passport.identified" },
        { "/v1/import", """{"batch":[{"type":"identify","userId":"fan-1","messageId":"seg-1","traits":{}}]}""", "passport.identified" },
    };

    [Theory]
    [MemberData(nameof(EveryCall))]
    public async Task Every_Segment_call_by_its_long_or_short_path_is_answered_success_and_stored_as_its_type(string path, string body, string type)
    {
        var response = await SendAsync(path, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Accepted1, await response.Content.ReadAsStringAsync());
        Assert.Equal($"{type}|fan-1|segment", Stored("event_type || '|' || user_id || '|' || source", "seg-1"));
        Assert.Equal(1, _server.LogCount);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/plain;charset=UTF-8")]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    public async Task Body_sent_as_text_plain_or_JSON_is_accepted(string contentType)
    {
        var response = await SendAsync("/v1/t", Track(), contentType);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, _server.LogCount);
    }

    [Fact]
    public async Task Track_of_a_catalogue_event_is_stored_as_that_type_with_its_properties_as_fields()
    {
        await SendAsync("/v1/track", Track());

        Assert.Equal("player.track_played|player|track|track-1", Stored("event_type || '|' || event_category || '|' || entity_type || '|' || entity_id", "seg-track"));
        Assert.Equal("track-1|artist-1|214", Stored("json_extract(metadata, '$.trackId') || '|' || json_extract(metadata, '$.artistId') || '|' || json_extract(metadata, '$.durationSeconds')", "seg-track"));
        Assert.Null(_server.Scalar<string?>("SELECT warnings FROM passport_entries"));
    }

    [Fact]
    public async Task Track_of_a_catalogue_event_with_a_bad_property_is_refused_naming_it()
    {
        var response = await SendAsync("/v1/track", Track().Replace("214", "-1", StringComparison.Ordinal));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "durationSeconds must be a number from 0 to 86,400", "durationSeconds");
        Assert.Equal(0, _server.LogCount);
    }

    [Fact]
    public async Task Track_of_a_custom_event_name_is_stored_as_a_custom_type_marked_unknown_type()
    {
        var response = await SendAsync("/v1/track", """
            {"userId":"fan-1","event":"Order Completed","messageId":"seg-order","properties":{"revenue":42.5,"coupon":"SUMMER"}}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Order Completed|custom|unknown_type", Stored("event_type || '|' || event_category || '|' || warnings", "seg-order"));
        Assert.Equal("42.5|SUMMER", Stored("json_extract(metadata, '$.revenue') || '|' || json_extract(metadata, '$.coupon')", "seg-order"));
    }

    [Fact]
    public async Task Track_of_a_custom_event_name_is_refused_when_the_tracking_plan_is_strict()
    {
        await using var strict = await TestServer.StartAsync(new Dictionary<string, string?> { ["Coliseum:Capture:TrackingPlan"] = "strict" });
        await SendAsync(strict, "/v1/track", Track("seg-good"));

        var response = await SendAsync(strict, "/v1/track", """{"userId":"fan-1","event":"Order Completed","properties":{"revenue":42.5}}""");

        await response.AssertProblemAsync(HttpStatusCode.BadRequest,
            "unknown event type 'Order Completed': the tracking plan is strict and allows only catalogue types", "type");
        Assert.Equal("seg-good", strict.Scalar<string>("SELECT group_concat(message_id) FROM passport_entries"));
    }

    [Fact]
    public async Task Track_without_an_event_name_is_refused()
    {
        var response = await SendAsync("/v1/track", """{"userId":"fan-1","properties":{}}""");

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "missing field event", "event");
        Assert.Equal(0, _server.LogCount);
    }

    [Fact]
    public async Task Identify_is_stored_as_passport_identified_with_its_traits()
    {
        await SendAsync("/v1/identify", """{"userId":"fan-1","messageId":"seg-id","traits":{"name":"Ana","email":"ana@example.com","city":"Medellín"}}""");

        Assert.Equal("passport.identified|Ana|ana@example.com|Medellín",
            Stored("event_type || '|' || json_extract(metadata, '$.traits.name') || '|' || json_extract(metadata, '$.traits.email') || '|' || json_extract(metadata, '$.traits.city')", "seg-id"));
    }

    [Fact]
    public async Task Identify_takes_its_traits_from_context_when_the_message_has_none()
    {
        await SendAsync("/v1/identify", """{"anonymousId":"anon-7","messageId":"seg-id","context":{"traits":{"email":"ana@example.com"}}}""");

        Assert.Equal("anon-7|ana@example.com", Stored("anonymous_id || '|' || json_extract(metadata, '$.traits.email')", "seg-id"));
    }

    [Theory]
    [InlineData("""{"properties":{"path":"/events/9","title":"Noche de Rock"}}""", "/events/9", "Noche de Rock")]
    [InlineData("""{"context":{"page":{"path":"/events/9","title":"Noche de Rock"}}}""", "/events/9", "Noche de Rock")]
    [InlineData("""{"properties":{"url":"https://coliseum.example/events/9?ref=x"}}""", "/events/9", null)]
    [InlineData("""{"context":{"page":{"url":"https://coliseum.example/events/9"}}}""", "/events/9", null)]
    [InlineData("""{"properties":{"path":"/from-properties"},"context":{"page":{"path":"/from-context"}}}""", "/from-properties", null)]
    [InlineData("""{}""", "/", null)]
    public async Task Page_is_stored_as_page_viewed_with_its_path_from_properties_or_context_page(string parts, string path, string? title)
    {
        var message = JsonNode.Parse(parts)!.AsObject();
        message["userId"] = "fan-1";
        message["messageId"] = "seg-page";

        var response = await SendAsync("/v1/page", message.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"passport.page_viewed|{path}|{title}", Stored("event_type || '|' || json_extract(metadata, '$.path') || '|' || IFNULL(json_extract(metadata, '$.title'), '')", "seg-page"));
    }

    [Fact]
    public async Task Screen_is_stored_as_page_viewed_named_by_the_screen()
    {
        await SendAsync("/v1/screen", """{"userId":"fan-1","messageId":"seg-screen","name":"Now Playing"}""");

        Assert.Equal("passport.page_viewed|Now Playing|1", Stored("event_type || '|' || json_extract(metadata, '$.path') || '|' || json_extract(metadata, '$.screen')", "seg-screen"));
    }

    [Fact]
    public async Task Alias_links_the_previous_id_to_the_user()
    {
        await SendAsync("/v1/alias", """{"userId":"fan-1","previousId":"anon-7","anonymousId":"ignored","messageId":"seg-alias"}""");

        Assert.Equal("passport.logged_in|fan-1|anon-7|alias", Stored("event_type || '|' || user_id || '|' || anonymous_id || '|' || json_extract(metadata, '$.method')", "seg-alias"));
    }

    [Fact]
    public async Task Group_is_stored_as_identified_with_the_group_id_and_its_traits()
    {
        await SendAsync("/v1/group", """{"userId":"fan-1","groupId":"label-9","traits":{"name":"Indie"},"messageId":"seg-group"}""");

        Assert.Equal("label-9|Indie", Stored("json_extract(metadata, '$.traits.groupId') || '|' || json_extract(metadata, '$.traits.group.name')", "seg-group"));
    }

    [Fact]
    public async Task Numeric_user_id_is_stored_as_a_string()
    {
        await SendAsync("/v1/identify", """{"userId":42,"messageId":"seg-num","traits":{}}""");

        Assert.Equal("42|text", Stored("user_id || '|' || typeof(user_id)", "seg-num"));
    }

    [Fact]
    public async Task Properties_named_like_envelope_fields_are_kept_under_a_prefix_and_do_not_change_the_envelope()
    {
        await SendAsync("/v1/track", """
            {"userId":"fan-1","event":"Order Completed","messageId":"seg-shadow","properties":{"userId":"someone-else","type":"refund","messageId":"x"}}
            """);

        Assert.Equal("fan-1|Order Completed|someone-else|refund|x", Stored(
            "user_id || '|' || event_type || '|' || json_extract(metadata, '$.\"properties.userId\"') || '|' || json_extract(metadata, '$.\"properties.type\"') || '|' || json_extract(metadata, '$.\"properties.messageId\"')",
            "seg-shadow"));
        Assert.Equal(1, _server.LogCount);
    }

    [Fact]
    public async Task Batch_top_level_context_and_integrations_are_merged_into_each_message_and_the_message_s_keys_win()
    {
        var response = await SendAsync("/v1/batch", """
            {
              "context": {"library": {"name": "analytics-node", "version": "6.0.0"}, "locale": "en-US"},
              "integrations": {"All": true, "Mixpanel": false},
              "batch": [
                {"type": "track", "event": "player.track_played", "userId": "fan-1", "messageId": "seg-b1",
                 "properties": {"trackId": "track-1", "artistId": "artist-1", "durationSeconds": 200},
                 "context": {"locale": "es-CO"}, "integrations": {"Mixpanel": true}},
                {"type": "identify", "userId": "fan-2", "messageId": "seg-b2", "traits": {"name": "Luis"}}
              ]
            }
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"success":true,"accepted":2,"duplicates":0,"rejected":[]}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("es-CO|analytics-node|6.0.0", Stored("json_extract(context, '$.locale') || '|' || json_extract(context, '$.library.name') || '|' || json_extract(context, '$.library.version')", "seg-b1"));
        Assert.Equal("1|1", Stored("json_extract(metadata, '$.integrations.All') || '|' || json_extract(metadata, '$.integrations.Mixpanel')", "seg-b1"));
        Assert.Equal("en-US|analytics-node", Stored("json_extract(context, '$.locale') || '|' || json_extract(context, '$.library.name')", "seg-b2"));
        Assert.Equal("1|0", Stored("json_extract(metadata, '$.integrations.All') || '|' || json_extract(metadata, '$.integrations.Mixpanel')", "seg-b2"));
    }

    [Fact]
    public async Task Batch_stores_its_good_messages_and_names_each_bad_one_by_index()
    {
        var response = await SendAsync("/v1/batch", """
            {"batch": [
              {"type": "identify", "userId": "fan-1", "messageId": "seg-ok-1", "traits": {}},
              {"type": "track", "userId": "fan-1", "messageId": "seg-no-event"},
              {"type": "purchase", "userId": "fan-1", "messageId": "seg-bad-type"},
              {"type": "page", "messageId": "seg-nobody"},
              "not a message",
              {"type": "page", "userId": "fan-1", "messageId": "seg-ok-2"}
            ]}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadJsonAsync();
        Assert.True(answer.GetProperty("success").GetBoolean());
        Assert.Equal(2, answer.GetProperty("accepted").GetInt32());
        Assert.Equal(
            [
                "1|missing field event|event",
                "2|type 'purchase' is not a Segment call (track, identify, page, screen, group or alias)|type",
                "3|missing field userId (or anonymousId for an anonymous visitor)|userId",
                "4|message must be a JSON object, not a string|",
            ],
            Answers.Rejections(answer));
        Assert.Equal(["seg-ok-1", "seg-ok-2"], Sql.Column(_server.DatabasePath, "SELECT message_id FROM passport_entries ORDER BY position"));
    }

    [Fact]
    public async Task Batch_whose_every_message_is_bad_is_refused_with_400_listing_them()
    {
        var response = await SendAsync("/v1/batch", """{"batch":[{"type":"track","userId":"u"},{"type":"page"}]}""");

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "all 2 events were rejected; event 0: missing field event", "event");
        Assert.Equal(2, problem.GetProperty("rejected").GetArrayLength());
        Assert.Equal(0, _server.LogCount);
    }

    [Theory]
    [InlineData("""{"batch":{}}""")]
    [InlineData("""{"messages":[]}""")]
    [InlineData("""{"batch":null}""")]
    public async Task Batch_without_a_batch_array_is_refused_with_400(string body)
    {
        var response = await SendAsync("/v1/batch", body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "expected {\"batch\": [...]}", "batch");
        Assert.Equal(0, _server.LogCount);
    }

    [Fact]
    public async Task Batch_of_2501_messages_is_refused_with_413()
    {
        var batch = new JsonArray();
        for (var i = 0; i < 2_501; i++)
        {
            batch.Add(new JsonObject { ["type"] = "identify", ["userId"] = "u", ["messageId"] = $"m{i}" });
        }

        var response = await SendAsync("/v1/batch", new JsonObject { ["batch"] = batch }.ToJsonString());

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "batch has 2501 messages; the limit is 2500", "batch");
        Assert.Equal(0, _server.LogCount);
    }

    [Theory]
    [InlineData(-3 * 24)]      // the client's clock is three days slow
    [InlineData(10 * 24)]      // ten days fast: uncorrected, this would be clamped as the future
    [InlineData(-5 * 365 * 24)] // five years slow
    public async Task Client_clock_skew_is_corrected_as_received_at_minus_the_interval_the_client_measured(int clientClockOffsetHours)
    {
        var clientNow = Millis(DateTimeOffset.UtcNow.AddHours(clientClockOffsetHours));
        var happened = clientNow.AddMilliseconds(-1_234);

        await SendAsync("/v1/track", $$$"""
            {"userId":"fan-1","event":"player.track_played","messageId":"seg-skew",
             "originalTimestamp":"{{{Iso(happened)}}}","sentAt":"{{{Iso(clientNow)}}}",
             "properties":{"trackId":"track-1","artistId":"artist-1","durationSeconds":214}}
            """);

        var received = _server.Scalar<long>("SELECT received_at FROM passport_log WHERE message_id = 'seg-skew'");
        Assert.Equal(received - 1_234, _server.Scalar<long>("SELECT occurred_at FROM passport_log WHERE message_id = 'seg-skew'"));
        Assert.Equal(happened.ToUnixTimeMilliseconds(), _server.Scalar<long>("SELECT client_at FROM passport_log WHERE message_id = 'seg-skew'"));
        Assert.Equal(clientNow.ToUnixTimeMilliseconds(), _server.Scalar<long>("SELECT sent_at FROM passport_log WHERE message_id = 'seg-skew'"));
        Assert.Null(_server.Scalar<string?>("SELECT warnings FROM passport_log WHERE message_id = 'seg-skew'"));
    }

    [Fact]
    public async Task Batch_top_level_sentAt_corrects_every_message_that_has_none_of_its_own()
    {
        var clientNow = Millis(DateTimeOffset.UtcNow.AddDays(-2));

        await SendAsync("/v1/batch", $$"""
            {"sentAt":"{{Iso(clientNow)}}","batch":[
              {"type":"identify","userId":"u","messageId":"seg-1","traits":{},"originalTimestamp":"{{Iso(clientNow.AddSeconds(-30))}}"},
              {"type":"identify","userId":"u","messageId":"seg-2","traits":{},"originalTimestamp":"{{Iso(clientNow.AddSeconds(-30))}}","sentAt":"{{Iso(clientNow.AddSeconds(-20))}}"}
            ]}
            """);

        Assert.Equal(30_000, _server.Scalar<long>("SELECT received_at - occurred_at FROM passport_log WHERE message_id = 'seg-1'"));
        Assert.Equal(10_000, _server.Scalar<long>("SELECT received_at - occurred_at FROM passport_log WHERE message_id = 'seg-2'"));
    }

    [Fact]
    public async Task Message_without_any_timestamp_happened_when_it_was_received()
    {
        await SendAsync("/v1/track", Track());

        Assert.Equal(1, _server.Scalar<long>("SELECT occurred_at = received_at AND client_at = received_at FROM passport_log"));
    }

    [Fact]
    public async Task Segment_messageId_is_kept_as_is_and_a_retry_is_stored_once()
    {
        const string id = "ajs-next-1732529001234-6f1c1b0e-4c3a-4d8e-9f5e-2a1b3c4d5e6f";
        var body = $$$"""{"userId":"fan-1","event":"player.track_played","messageId":"{{{id}}}","properties":{"trackId":"t","artistId":"a","durationSeconds":1}}""";

        var first = await SendAsync("/v1/track", body);
        var retry = await SendAsync("/v1/track", body);

        Assert.Equal(Accepted1, await first.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("""{"success":true,"accepted":0,"duplicates":1,"rejected":[]}""", await retry.Content.ReadAsStringAsync());
        Assert.Equal(id, _server.Scalar<string>("SELECT group_concat(message_id) FROM passport_entries"));
    }

    [Fact]
    public async Task Single_call_whose_body_is_not_an_object_is_refused_with_400()
    {
        var response = await SendAsync("/v1/track", "[]");

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "expected a JSON object, not an array");
        Assert.Equal(0, _server.LogCount);
    }

    private static DateTimeOffset Millis(DateTimeOffset value) => DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());

    private static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
