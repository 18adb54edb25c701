using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Capture;

/// <summary>Segment's HTTP Tracking API, so Segment's client libraries can point at Coliseum unchanged.</summary>
public sealed partial class SegmentTests : IAsyncLifetime
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
    public async Task Track_of_passport_page_viewed_keeps_the_path_and_title_from_its_properties()
    {
        var response = await SendAsync("/v1/track", """{"userId":"fan-1","messageId":"seg-track-page","event":"passport.page_viewed","properties":{"path":"/events/9","title":"Noche"}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("passport.page_viewed|/events/9|Noche", Stored("event_type || '|' || json_extract(metadata, '$.path') || '|' || json_extract(metadata, '$.title')", "seg-track-page"));
    }

    [Theory]
    [InlineData("/v1/page", """{"userId":"u","messageId":"seg-dup","name":"Home","category":"Docs","properties":{"name":"Props name","category":"Props category","screen":1}}""")]
    [InlineData("/v1/screen", """{"userId":"u","messageId":"seg-dup","name":"Home","category":"Docs","properties":{"name":"Props name","category":"Props category","screen":1}}""")]
    public async Task Page_or_screen_properties_named_like_the_message_s_own_fields_are_kept_under_a_prefix_not_written_twice(string path, string body)
    {
        var response = await SendAsync(path, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, _server.Scalar<long>("SELECT COUNT(*) - COUNT(DISTINCT key) FROM passport_log, json_each(passport_log.metadata)"));
        Assert.Equal("Home|Docs|Props name|Props category|1", Stored(
            "json_extract(metadata, '$.name') || '|' || json_extract(metadata, '$.category') || '|' || json_extract(metadata, '$.\"properties.name\"') || '|' || json_extract(metadata, '$.\"properties.category\"') || '|' || json_extract(metadata, '$.\"properties.screen\"')",
            "seg-dup"));
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
    public async Task Single_call_whose_body_is_not_an_object_is_refused_with_400()
    {
        var response = await SendAsync("/v1/track", "[]");

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "expected a JSON object, not an array");
        Assert.Equal(0, _server.LogCount);
    }
}
