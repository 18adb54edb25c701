using System.Net;
using System.Text.Json;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Capture;

public sealed class PassportLogTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Valid_event_is_answered_201_ok_and_stored_with_its_fields()
    {
        var response = await _server.PostAsync("/api/passport/log", Events.TrackPlayed("m-1").ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("""{"ok":true}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, _server.LogCount);
        Assert.Equal("player.track_played|player|track|track-1|fan-1|session-1",
            _server.Scalar<string>("SELECT event_type || '|' || event_category || '|' || entity_type || '|' || entity_id || '|' || user_id || '|' || session_id FROM passport_entries WHERE message_id = 'm-1'"));
        Assert.Equal("artist-1", _server.Scalar<string>("SELECT json_extract(metadata, '$.artistId') FROM passport_entries"));
    }

    [Fact]
    public async Task Invalid_event_is_answered_400_with_error_and_problem_details_and_nothing_is_stored()
    {
        var response = await _server.PostAsync("/api/passport/log", Events.TicketPurchased(amountCents: -5).ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("amountCents must be a positive integer", problem.RootElement.GetProperty("error").GetString());
        Assert.Equal("amountCents", problem.RootElement.GetProperty("field").GetString());
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
        Assert.True(problem.RootElement.TryGetProperty("title", out _));
        Assert.Equal(0, _server.LogCount);
    }

    [Fact]
    public async Task Unknown_extra_fields_are_kept_in_metadata()
    {
        var ev = Events.TrackPlayed("m-extra");
        ev["mood"] = "euphoric";
        ev["lyrics"] = new System.Text.Json.Nodes.JsonObject { ["lang"] = "es" };

        var response = await _server.PostAsync("/api/passport/log", ev.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("euphoric", _server.Scalar<string>("SELECT json_extract(metadata, '$.mood') FROM passport_entries"));
        Assert.Equal("es", _server.Scalar<string>("SELECT json_extract(metadata, '$.lyrics.lang') FROM passport_entries"));
    }

    [Fact]
    public async Task Second_delivery_of_a_message_id_is_answered_as_success_and_stored_once()
    {
        var first = await _server.PostAsync("/api/passport/log", Events.TrackPlayed("m-dup").ToJsonString());
        var second = await _server.PostAsync("/api/passport/log", Events.TrackPlayed("m-dup").ToJsonString());

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Contains("\"duplicate\":true", await second.Content.ReadAsStringAsync());
        Assert.Equal(1, _server.LogCount);
    }

    [Fact]
    public async Task Message_id_is_generated_when_absent_and_both_times_are_stored()
    {
        var sent = DateTimeOffset.UtcNow;
        var response = await _server.PostAsync("/api/passport/log", Events.TrackPlayed().ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = _server.Scalar<string>("SELECT message_id FROM passport_entries");
        Assert.True(Guid.TryParse(id, out _), id);
        Assert.Equal(Events.Now[..19], _server.Scalar<string>("SELECT created_at FROM passport_entries")[..19]);
        var received = DateTimeOffset.Parse(_server.Scalar<string>("SELECT received_at FROM passport_entries"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(received, sent.AddSeconds(-5), sent.AddSeconds(30));
    }

    [Fact]
    public async Task Clock_skew_is_corrected_from_sentAt()
    {
        // The client's clock is 2 hours fast: it says it happened at 12:00:00 and sent at 12:00:10.
        var ev = Events.TrackPlayed("m-skew");
        var clientNow = DateTimeOffset.UtcNow.AddHours(2);
        ev["at"] = clientNow.AddSeconds(-10).ToString("O");
        ev["sentAt"] = clientNow.ToString("O");

        await _server.PostAsync("/api/passport/log", ev.ToJsonString());

        var occurred = _server.Scalar<long>("SELECT occurred_at FROM passport_log");
        var received = _server.Scalar<long>("SELECT received_at FROM passport_log");
        Assert.Equal(received - 10_000, occurred);
        Assert.Null(_server.Scalar<string?>("SELECT warnings FROM passport_log"));
    }

    [Fact]
    public async Task Event_processed_flags_are_false_until_a_consumer_applies_them()
    {
        // Capture only: nothing applies the entry, so the flags read from the cursors stay false.
        await using var captureOnly = await TestServer.StartAsync(new Dictionary<string, string?> { ["Coliseum:Processing:Enabled"] = "false" });
        await captureOnly.PostAsync("/api/passport/log", Events.TrackPlayed("m-flags").ToJsonString());

        Assert.Equal("player.track_played|1|0|0|0", captureOnly.Scalar<string>(
            "SELECT event_type || '|' || COUNT(*) || '|' || CAST(processed_by_coliseum AS integer) || '|' || CAST(processed_by_treasury AS integer) || '|' || CAST(processed_by_mediaid AS integer) FROM passport_entries GROUP BY event_type, processed_by_coliseum, processed_by_treasury, processed_by_mediaid"));
    }
}
