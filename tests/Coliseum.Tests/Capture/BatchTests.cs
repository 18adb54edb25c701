using System.Net;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Capture;

/// <summary><c>POST /api/passport/batch {"events": [...]}</c>: each event stands or falls alone.</summary>
public sealed class BatchTests : IAsyncLifetime
{
    private const string Batch = "/api/passport/batch";

    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private List<string> StoredMessageIds() => Sql.Column(_server.DatabasePath, "SELECT message_id FROM passport_entries ORDER BY position");

    [Fact]
    public async Task Good_batch_is_answered_200_with_the_counts_and_every_event_is_stored_in_order()
    {
        var response = await _server.PostAsync(Batch, Events.Batch(Events.TrackPlayed("b-1"), Events.TicketPurchased("b-2"), Events.TrackPlayed("b-3")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"accepted":3,"duplicates":0,"rejected":[]}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(["b-1", "b-2", "b-3"], StoredMessageIds());
        Assert.Equal("player.track_played,concierto.ticket_purchased,player.track_played",
            string.Join(",", Sql.Column(_server.DatabasePath, "SELECT event_type FROM passport_entries ORDER BY position")));
    }

    [Fact]
    public async Task Good_events_are_stored_even_when_others_in_the_batch_are_bad_and_each_bad_one_is_named_by_index()
    {
        var noType = Events.TrackPlayed("m-no-type");
        noType.Remove("type");
        var body = Events.Batch(
            Events.TrackPlayed("m-a"),
            Events.TicketPurchased("m-bad-amount", amountCents: -5),
            Events.TrackPlayed("m-b"),
            noType,
            "not an event",
            Events.TicketPurchased("m-c"));

        var response = await _server.PostAsync(Batch, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadJsonAsync();
        Assert.Equal(3, answer.GetProperty("accepted").GetInt32());
        Assert.Equal(0, answer.GetProperty("duplicates").GetInt32());
        Assert.Equal(
            [
                "1|amountCents must be a positive integer|amountCents",
                "3|missing field type|type",
                "4|event must be a JSON object, not a string|",
            ],
            Answers.Rejections(answer));
        Assert.Equal(["m-a", "m-b", "m-c"], StoredMessageIds());
    }

    [Fact]
    public async Task Rejection_without_a_field_to_blame_has_no_field_property()
    {
        var response = await _server.PostAsync(Batch, Events.Batch(Events.TrackPlayed("ok"), 42));

        Assert.Equal(
            """{"accepted":1,"duplicates":0,"rejected":[{"index":1,"error":"event must be a JSON object, not a number"}]}""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Event_over_32_KB_in_a_batch_is_rejected_at_its_index_and_its_neighbours_are_stored()
    {
        var big = Events.TrackPlayed("m-big");
        big["notes"] = new string('x', 32 * 1024);
        var size = System.Text.Encoding.UTF8.GetByteCount(big.ToJsonString());

        var response = await _server.PostAsync(Batch, Events.Batch(Events.TrackPlayed("m-1"), big, Events.TrackPlayed("m-2")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([$"1|event is {size} bytes; the limit is 32768 bytes|"], Answers.Rejections(await response.ReadJsonAsync()));
        Assert.Equal(["m-1", "m-2"], StoredMessageIds());
    }

    [Fact]
    public async Task Duplicate_messageId_within_one_batch_is_stored_once_and_counted_as_a_duplicate()
    {
        var first = Events.TrackPlayed("m-twice", trackId: "track-first");
        var second = Events.TrackPlayed("m-twice", trackId: "track-second");

        var response = await _server.PostAsync(Batch, Events.Batch(first, second, Events.TrackPlayed("m-once")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"accepted":2,"duplicates":1,"rejected":[]}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(["m-twice", "m-once"], StoredMessageIds());
        // The first delivery is the one kept.
        Assert.Equal("track-first", _server.Scalar<string>("SELECT entity_id FROM passport_entries WHERE message_id = 'm-twice'"));
    }

    [Fact]
    public async Task Duplicate_messageId_across_batches_is_stored_once_and_counted_as_a_duplicate()
    {
        var first = await _server.PostAsync(Batch, Events.Batch(Events.TrackPlayed("m-1"), Events.TrackPlayed("m-2")));
        var second = await _server.PostAsync(Batch, Events.Batch(Events.TrackPlayed("m-2"), Events.TrackPlayed("m-3")));

        Assert.Equal("""{"accepted":2,"duplicates":0,"rejected":[]}""", await first.Content.ReadAsStringAsync());
        Assert.Equal("""{"accepted":1,"duplicates":1,"rejected":[]}""", await second.Content.ReadAsStringAsync());
        Assert.Equal(["m-1", "m-2", "m-3"], StoredMessageIds());
    }

    [Fact]
    public async Task Batch_retried_whole_is_answered_200_with_every_event_a_duplicate()
    {
        var body = Events.Batch(Events.TrackPlayed("r-1"), Events.TicketPurchased("r-2"));

        await _server.PostAsync(Batch, body);
        var retry = await _server.PostAsync(Batch, body);

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("""{"accepted":0,"duplicates":2,"rejected":[]}""", await retry.Content.ReadAsStringAsync());
        Assert.Equal(["r-1", "r-2"], StoredMessageIds());
    }

    [Fact]
    public async Task Event_sent_alone_then_in_a_batch_is_stored_once()
    {
        await _server.PostAsync("/api/passport/log", Events.TrackPlayed("m-solo").ToJsonString());

        var response = await _server.PostAsync(Batch, Events.Batch(Events.TrackPlayed("m-solo")));

        Assert.Equal("""{"accepted":0,"duplicates":1,"rejected":[]}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(["m-solo"], StoredMessageIds());
    }

    [Fact]
    public async Task Batch_of_2501_events_is_refused_with_413_and_none_is_stored()
    {
        await _server.PostAsync(Batch, Events.Batch(Events.TrackPlayed("good")));

        var response = await _server.PostAsync(Batch, SmallEvents(2_501));

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "batch has 2501 events; the limit is 2500", "events");
        Assert.Equal(["good"], StoredMessageIds());
    }

    [Fact]
    public async Task Batch_of_2500_events_is_stored_whole()
    {
        var response = await _server.PostAsync(Batch, SmallEvents(2_500));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"accepted":2500,"duplicates":0,"rejected":[]}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(2_500, _server.LogCount);
    }

    [Fact]
    public async Task Batch_whose_every_event_is_bad_is_refused_with_400_listing_each_rejection()
    {
        await _server.PostAsync(Batch, Events.Batch(Events.TrackPlayed("good")));
        var noUser = Events.TrackPlayed("m-no-user");
        noUser.Remove("userId");

        var response = await _server.PostAsync(Batch, Events.Batch(Events.TicketPurchased("m-bad", amountCents: 0), noUser, null!));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest,
            "all 3 events were rejected; event 0: amountCents must be a positive integer", "amountCents");
        Assert.Equal(
            [
                "0|amountCents must be a positive integer|amountCents",
                "1|missing field userId (or anonymousId for an anonymous visitor)|userId",
                "2|event must be a JSON object, not null|",
            ],
            Answers.Rejections(problem));
        Assert.Equal(["good"], StoredMessageIds());
    }

    [Fact]
    public async Task Batch_of_one_bad_event_is_refused_with_400_naming_it()
    {
        var response = await _server.PostAsync(Batch, Events.Batch(Events.TicketPurchased("m-bad", amountCents: 0)));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "event 0: amountCents must be a positive integer", "amountCents");
        Assert.Equal(["0|amountCents must be a positive integer|amountCents"], Answers.Rejections(problem));
        Assert.Equal(0, _server.LogCount);
    }

    [Fact]
    public async Task Empty_batch_is_answered_200_with_nothing_accepted()
    {
        var response = await _server.PostAsync(Batch, """{"events":[]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"accepted":0,"duplicates":0,"rejected":[]}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, _server.LogCount);
    }

    [Theory]
    [InlineData("""{"events":{}}""", "events must be an array, not an object")]
    [InlineData("""{"events":"[]"}""", "events must be an array, not a string")]
    [InlineData("""{"events":7}""", "events must be an array, not a number")]
    [InlineData("""{"events":null}""", "events must be an array, not null")]
    [InlineData("""{"events":true}""", "events must be an array, not a boolean")]
    [InlineData("""{"event":[]}""", "expected {\"events\": [...]}")]
    [InlineData("""{}""", "expected {\"events\": [...]}")]
    [InlineData("""[{"type":"player.track_played"}]""", "expected {\"events\": [...]}")]
    [InlineData("""null""", "expected {\"events\": [...]}")]
    public async Task Batch_whose_events_is_not_an_array_is_refused_with_400(string body, string error)
    {
        await _server.PostAsync(Batch, Events.Batch(Events.TrackPlayed("good")));

        var response = await _server.PostAsync(Batch, body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, error, "events");
        Assert.Equal(["good"], StoredMessageIds());
    }

    /// <summary>A batch of <paramref name="count"/> small valid events with distinct messageIds (~300 KB for 2,500).</summary>
    private static string SmallEvents(int count)
    {
        var events = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            events.Add(new JsonObject
            {
                ["type"] = "passport.session_ended",
                ["userId"] = "u",
                ["at"] = "2026-11-25T10:00:00Z",
                ["durationSeconds"] = i,
                ["messageId"] = $"s-{i}",
            });
        }
        return new JsonObject { ["events"] = events }.ToJsonString();
    }
}
