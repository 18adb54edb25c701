using System.Net;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Capture;

/// <summary>
/// Types outside the catalogue: stored and counted (<c>allow</c>, the default) or refused (<c>strict</c>);
/// and whatever the plan, a type must look like <c>domain.action</c>.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class TrackingPlanTests : IAsyncLifetime
{
    private const string Violations = "coliseum_tracking_plan_violations_total";

    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static JsonObject Custom(string type, string messageId) => new()
    {
        ["type"] = type,
        ["userId"] = "fan-1",
        ["at"] = Events.Now,
        ["messageId"] = messageId,
        ["sku"] = "tee-black-m",
        ["amountCents"] = "not checked: not a catalogue field here",
    };

    private static Task<TestServer> StartStrictAsync() =>
        TestServer.StartAsync(new Dictionary<string, string?> { ["Coliseum:Capture:TrackingPlan"] = "strict" });

    [Fact]
    public async Task By_default_an_unknown_domain_action_type_is_stored_marked_unknown_type_with_its_fields_kept()
    {
        var response = await _server.PostAsync("/api/passport/log", Custom("shop.merch_ordered", "c-1").ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("shop.merch_ordered|shop|unknown_type|tee-black-m", _server.Scalar<string>(
            "SELECT event_type || '|' || event_category || '|' || warnings || '|' || json_extract(metadata, '$.sku') FROM passport_entries WHERE message_id = 'c-1'"));
    }

    [Fact]
    public async Task By_default_unknown_types_are_counted_once_per_stored_event_in_metrics()
    {
        var before = Prometheus.Sample(await Prometheus.ScrapeAsync(_server), Violations);

        await _server.PostAsync("/api/passport/log", Custom("shop.merch_ordered", "c-1").ToJsonString());
        await _server.PostAsync("/api/passport/log", Custom("shop.merch_ordered", "c-1").ToJsonString()); // a retry: stored once
        await _server.PostAsync("/api/passport/batch", Events.Batch(Custom("shop.cart_viewed", "c-2"), Events.TrackPlayed("known")));
        await _server.PostAsync("/api/passport/log", Samples.Without(Custom("shop.cart_viewed", "c-bad"), "userId")); // refused: not stored

        var after = await Prometheus.ScrapeAsync(_server);
        Assert.Equal(2, Prometheus.Sample(after, Violations) - before);
        Assert.Equal(2, _server.Scalar<long>("SELECT COUNT(*) FROM passport_entries WHERE warnings = 'unknown_type'"));
    }

    [Fact]
    public async Task Strict_plan_refuses_an_unknown_type_naming_it_and_stores_nothing()
    {
        await using var strict = await StartStrictAsync();
        await strict.PostAsync("/api/passport/log", Events.TrackPlayed("good").ToJsonString());
        var before = Prometheus.Sample(await Prometheus.ScrapeAsync(strict), Violations);

        var response = await strict.PostAsync("/api/passport/log", Custom("shop.merch_ordered", "c-1").ToJsonString());

        await response.AssertProblemAsync(HttpStatusCode.BadRequest,
            "unknown event type 'shop.merch_ordered': the tracking plan is strict and allows only catalogue types", "type");
        Assert.Equal("good", strict.Scalar<string>("SELECT group_concat(message_id) FROM passport_entries"));
        Assert.Equal(0, Prometheus.Sample(await Prometheus.ScrapeAsync(strict), Violations) - before);
    }

    [Fact]
    public async Task Strict_plan_refuses_unknown_types_in_a_batch_by_index_and_stores_the_catalogue_events()
    {
        await using var strict = await StartStrictAsync();

        var response = await strict.PostAsync("/api/passport/batch", Events.Batch(Events.TrackPlayed("k-1"), Custom("shop.merch_ordered", "c-1"), Events.TicketPurchased("k-2")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            ["1|unknown event type 'shop.merch_ordered': the tracking plan is strict and allows only catalogue types|type"],
            Answers.Rejections(await response.ReadJsonAsync()));
        Assert.Equal(["k-1", "k-2"], Sql.Column(strict.DatabasePath, "SELECT message_id FROM passport_entries ORDER BY position"));
        Assert.Equal(0, strict.Scalar<long>("SELECT COUNT(*) FROM passport_entries WHERE warnings IS NOT NULL"));
    }

    [Theory]
    [InlineData("Signed Up")]
    [InlineData("player.")]
    [InlineData("Player.Played")]
    [InlineData("player.Track_played")]
    [InlineData(".track_played")]
    [InlineData("player..track_played")]
    [InlineData("player")]
    [InlineData("player.track-played")]
    [InlineData("1player.track_played")]
    [InlineData("player._track_played")]
    [InlineData("player.track_played ")]
    [InlineData("plåyer.track_played")]
    public async Task Type_not_in_domain_action_form_is_refused_on_the_passport_endpoints(string type)
    {
        var ev = Events.TrackPlayed("bad-type");
        ev["type"] = type;
        var message = $"type '{type}' must be domain.action in lower snake case (e.g. player.track_played)";

        var single = await _server.PostAsync("/api/passport/log", ev.ToJsonString());
        var batch = await _server.PostAsync("/api/passport/batch", Events.Batch(Events.TrackPlayed("good"), ev.DeepClone()));

        await single.AssertProblemAsync(HttpStatusCode.BadRequest, message, "type");
        Assert.Equal([$"1|{message}|type"], Answers.Rejections(await batch.ReadJsonAsync()));
        Assert.Equal("good", _server.Scalar<string>("SELECT group_concat(message_id) FROM passport_entries"));
    }

    [Fact]
    public async Task Type_not_in_domain_action_form_is_refused_for_its_form_under_the_strict_plan_too()
    {
        await using var strict = await StartStrictAsync();

        var response = await strict.PostAsync("/api/passport/log", Custom("Signed Up", "c-1").ToJsonString());

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "type 'Signed Up' must be domain.action in lower snake case (e.g. player.track_played)", "type");
        Assert.Equal(0, strict.LogCount);
    }

    [Fact]
    public async Task Type_longer_than_128_characters_is_refused()
    {
        var type = "shop." + new string('a', 124);

        var response = await _server.PostAsync("/api/passport/log", Custom(type, "c-long").ToJsonString());

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "type must be 1 to 128 characters", "type");
        Assert.Equal(0, _server.LogCount);
    }

    [Fact]
    public async Task Domain_action_type_of_three_segments_is_a_custom_type_of_the_first_domain()
    {
        var response = await _server.PostAsync("/api/passport/log", Custom("shop.merch.ordered_v2", "c-3").ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("shop|unknown_type", _server.Scalar<string>("SELECT event_category || '|' || warnings FROM passport_entries"));
    }
}
