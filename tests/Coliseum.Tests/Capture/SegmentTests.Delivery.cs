using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Capture;

/// <summary>Segment delivery: batches, client clocks and retries.</summary>
public sealed partial class SegmentTests
{
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

    private static DateTimeOffset Millis(DateTimeOffset value) => DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());

    private static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
