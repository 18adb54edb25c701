using System.Net;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Capture;

/// <summary>Bad input, field by field: lengths, types, ranges, missing fields and timestamps.</summary>
public sealed partial class BadInputTests
{
    // ---- string lengths ----

    [Theory]
    [InlineData("trackId", 129, "trackId must be at most 128 characters")]
    [InlineData("artistId", 129, "artistId must be at most 128 characters")]
    [InlineData("userId", 129, "userId must be at most 128 characters")]
    [InlineData("anonymousId", 129, "anonymousId must be at most 128 characters")]
    [InlineData("sessionId", 129, "sessionId must be at most 128 characters")]
    [InlineData("deviceId", 129, "deviceId must be at most 128 characters")]
    [InlineData("messageId", 101, "messageId must be at most 100 characters")]
    [InlineData("trackId", 0, "trackId must not be empty")]
    [InlineData("userId", 0, "userId must not be empty")]
    [InlineData("messageId", 0, "messageId must not be empty")]
    public async Task String_outside_its_length_limits_is_refused_naming_the_field(string field, int length, string error)
    {
        var ev = Events.TrackPlayed("long");
        ev[field] = new string('a', length);

        var response = await _server.PostAsync(Log, ev.ToJsonString());

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, error, field);
        AssertOnlyTheGoodEventIsStored();
    }

    [Theory]
    [InlineData("trackId", 128)]
    [InlineData("userId", 128)]
    [InlineData("anonymousId", 128)]
    [InlineData("messageId", 100)]
    public async Task String_at_its_length_limit_is_stored_unchanged(string field, int length)
    {
        var ev = Events.TrackPlayed("at-limit");
        var value = new string('a', length);
        ev[field] = value;

        var response = await _server.PostAsync(Log, ev.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var column = field switch { "trackId" => "json_extract(metadata, '$.trackId')", "userId" => "user_id", "anonymousId" => "anonymous_id", _ => "message_id" };
        Assert.Equal(value, _server.Scalar<string>($"SELECT {column} FROM passport_entries ORDER BY position DESC LIMIT 1"));
        Assert.Equal(2, _server.LogCount);
    }

    // ---- wrong types and values ----

    [Theory]
    [InlineData("concierto.ticket_purchased", "amountCents", "\"12\"", "amountCents must be a positive integer")]
    [InlineData("concierto.ticket_purchased", "amountCents", "12.5", "amountCents must be a positive integer")]
    [InlineData("concierto.ticket_purchased", "amountCents", "0", "amountCents must be a positive integer")]
    [InlineData("concierto.ticket_purchased", "amountCents", "-5", "amountCents must be a positive integer")]
    [InlineData("concierto.ticket_purchased", "amountCents", "true", "amountCents must be a positive integer")]
    [InlineData("concierto.ticket_purchased", "amountCents", "-1e400", "amountCents must be a positive integer")]
    [InlineData("concierto.ticket_purchased", "amountCents", "1e400", "amountCents must be at most 9,007,199,254,740,991")]
    [InlineData("concierto.ticket_purchased", "amountCents", "99999999999999999999", "amountCents must be at most 9,007,199,254,740,991")]
    [InlineData("concierto.ticket_purchased", "amountCents", "9007199254740992", "amountCents must be at most 9,007,199,254,740,991")]
    [InlineData("concierto.event_rated", "rating", "1e400", "rating must be an integer from 1 to 5")]
    [InlineData("concierto.ticket_purchased", "currency", "\"dollars\"", "currency must be a three-letter ISO 4217 code such as usd")]
    [InlineData("concierto.ticket_purchased", "currency", "\"u$d\"", "currency must be a three-letter ISO 4217 code such as usd")]
    [InlineData("concierto.ticket_purchased", "currency", "840", "currency must be a string")]
    [InlineData("concierto.ticket_purchased", "quantity", "0", "quantity must be an integer from 1 to 100")]
    [InlineData("concierto.event_rated", "rating", "6", "rating must be an integer from 1 to 5")]
    [InlineData("concierto.event_rated", "rating", "0", "rating must be an integer from 1 to 5")]
    [InlineData("concierto.event_rated", "rating", "4.5", "rating must be an integer from 1 to 5")]
    [InlineData("concierto.event_rated", "rating", "\"5\"", "rating must be an integer from 1 to 5")]
    [InlineData("coliseum.vote_cast", "weight", "0", "weight must be an integer from 1 to 100")]
    [InlineData("coliseum.vote_cast", "weight", "101", "weight must be an integer from 1 to 100")]
    [InlineData("coliseum.vote_cast", "weight", "null", "weight must be an integer from 1 to 100")]
    [InlineData("passport.consent_updated", "granted", "\"yes\"", "granted must be true or false")]
    [InlineData("passport.consent_updated", "granted", "1", "granted must be true or false")]
    [InlineData("player.track_played", "durationSeconds", "-1", "durationSeconds must be a number from 0 to 86,400")]
    [InlineData("player.track_played", "durationSeconds", "86401", "durationSeconds must be a number from 0 to 86,400")]
    [InlineData("player.track_played", "durationSeconds", "\"214\"", "durationSeconds must be a number from 0 to 86,400")]
    [InlineData("player.track_played", "durationSeconds", "1e400", "durationSeconds must be a number from 0 to 86,400")]
    [InlineData("passport.session_ended", "durationSeconds", "-1", "durationSeconds must be a number from 0 to 31,536,000")]
    [InlineData("concierto.rsvp_submitted", "status", "\"maybe\"", "status must be one of going, interested, not_going")]
    [InlineData("concierto.rsvp_submitted", "status", "\"Going\"", "status must be one of going, interested, not_going")]
    [InlineData("player.track_played", "trackId", "42", "trackId must be a string")]
    [InlineData("player.track_played", "trackId", "{\"id\":\"track-1\"}", "trackId must be a string")]
    [InlineData("player.track_played", "userId", "42", "userId must be a string")]
    [InlineData("player.track_played", "context", "\"web\"", "context must be an object, not a string")]
    [InlineData("player.track_played", "context", "[]", "context must be an object, not an array")]
    [InlineData("player.track_played", "type", "42", "type must be a string")]
    [InlineData("player.track_played", "type", "\"\"", "type must be 1 to 128 characters")]
    [InlineData("concierto.event_created", "startsAt", "\"tomorrow\"", "startsAt must be an ISO-8601 timestamp")]
    [InlineData("concierto.event_created", "artistIds", "\"artist-1\"", "artistIds must be an array of strings")]
    [InlineData("concierto.event_created", "artistIds", "[\"artist-1\", 2]", "artistIds must be an array of strings")]
    [InlineData("concierto.event_created", "eventId", "\"\"", "eventId must not be empty")]
    [InlineData("passport.identified", "traits", "\"Ana\"", "traits must be an object")]
    public async Task Field_of_the_wrong_type_or_out_of_range_is_refused_naming_the_field(string type, string field, string rawValue, string error)
    {
        var response = await _server.PostAsync(Log, Samples.WithRaw(Samples.Valid(type, "bad"), field, rawValue));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, error, field);
        AssertOnlyTheGoodEventIsStored();
    }

    [Theory]
    [InlineData("concierto.ticket_purchased")]
    [InlineData("concierto.event_rated")]
    [InlineData("concierto.rsvp_submitted")]
    [InlineData("concierto.event_created")]
    [InlineData("coliseum.vote_cast")]
    [InlineData("passport.consent_updated")]
    [InlineData("passport.session_ended")]
    [InlineData("passport.identified")]
    public async Task The_samples_the_bad_input_cases_start_from_are_themselves_valid(string type)
    {
        var response = await _server.PostAsync(Log, Samples.Valid(type, "sample").ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        AssertStoredAfterTheGoodEvent("sample");
    }

    [Fact]
    public async Task Currency_in_upper_case_is_stored_in_lower_case()
    {
        var ev = Events.TicketPurchased("upper");
        ev["currency"] = "EUR";

        var response = await _server.PostAsync(Log, ev.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("eur", _server.Scalar<string>("SELECT json_extract(metadata, '$.currency') FROM passport_entries WHERE message_id = 'upper'"));
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("+1")]
    [InlineData("0x10")]
    [InlineData("01")]
    public async Task Number_literal_JSON_does_not_allow_is_refused_as_invalid_JSON(string literal)
    {
        var response = await _server.PostAsync(Log, Samples.WithRaw(Events.TrackPlayed("nan"), "durationSeconds", literal));

        await response.AssertProblemStartingWithAsync(HttpStatusCode.BadRequest, "request body is not valid JSON: ");
        AssertOnlyTheGoodEventIsStored();
    }

    // ---- missing fields ----

    [Theory]
    [InlineData("concierto.ticket_purchased", "eventId")]
    [InlineData("concierto.ticket_purchased", "ticketId")]
    [InlineData("concierto.ticket_purchased", "amountCents")]
    [InlineData("concierto.ticket_purchased", "currency")]
    [InlineData("player.track_played", "trackId")]
    [InlineData("player.track_played", "durationSeconds")]
    [InlineData("coliseum.vote_cast", "weight")]
    [InlineData("passport.consent_updated", "granted")]
    [InlineData("passport.identified", "traits")]
    [InlineData("player.track_played", "type")]
    public async Task Missing_required_field_is_refused_naming_it(string type, string field)
    {
        var response = await _server.PostAsync(Log, Samples.Without(Samples.Valid(type, "missing"), field));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, $"missing field {field}", field);
        AssertOnlyTheGoodEventIsStored();
    }

    [Fact]
    public async Task Required_field_sent_as_null_is_refused_naming_it()
    {
        var response = await _server.PostAsync(Log, Samples.WithRaw(Events.TicketPurchased("null-id"), "eventId", "null"));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "eventId must be a string", "eventId");
        AssertOnlyTheGoodEventIsStored();
    }

    [Fact]
    public async Task Event_with_neither_userId_nor_anonymousId_is_refused()
    {
        var response = await _server.PostAsync(Log, Samples.Without(Events.TrackPlayed("nobody"), "userId"));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "missing field userId (or anonymousId for an anonymous visitor)", "userId");
        AssertOnlyTheGoodEventIsStored();
    }

    [Fact]
    public async Task Event_with_only_an_anonymousId_is_stored_for_that_visitor()
    {
        var ev = Events.TrackPlayed("anon");
        ev.Remove("userId");
        ev["anonymousId"] = "device-7";

        var response = await _server.PostAsync(Log, ev.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("device-7|", _server.Scalar<string>("SELECT anonymous_id || '|' || IFNULL(user_id, '') FROM passport_entries WHERE message_id = 'anon'"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("null")]
    public async Task Event_without_at_is_refused(string? rawAt)
    {
        var ev = Events.TrackPlayed("no-at");
        var body = rawAt is null ? Samples.Without(ev, "at") : Samples.WithRaw(ev, "at", rawAt);

        var response = await _server.PostAsync(Log, body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "missing field at", "at");
        AssertOnlyTheGoodEventIsStored();
    }

    // ---- timestamps ----

    [Theory]
    [InlineData("at", "\"yesterday\"")]
    [InlineData("at", "\"25/11/2026\"")]
    [InlineData("at", "\"11/25/2026 10:00\"")]
    [InlineData("at", "\"2026-13-01T00:00:00Z\"")]
    [InlineData("at", "\"2026-11-25 10:00:00 +0000\"")]
    [InlineData("at", "\"\"")]
    [InlineData("at", "1732500000")]
    [InlineData("at", "1732500000000")]
    [InlineData("at", "{}")]
    [InlineData("sentAt", "\"yesterday\"")]
    [InlineData("sentAt", "1732500000")]
    public async Task Timestamp_that_is_not_ISO_8601_is_refused_with_an_example(string field, string rawValue)
    {
        var response = await _server.PostAsync(Log, Samples.WithRaw(Events.TrackPlayed("bad-time"), field, rawValue));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, $"{field} must be an ISO-8601 timestamp such as 2026-11-25T10:00:00Z", field);
        AssertOnlyTheGoodEventIsStored();
    }

    [Theory]
    [InlineData("2026-11-25T10:00:00Z", 1_795_600_800_000L)]
    [InlineData("2026-11-25T10:00:00.123Z", 1_795_600_800_123L)]
    [InlineData("2026-11-25T12:00:00+02:00", 1_795_600_800_000L)]
    [InlineData("2026-11-25T05:00:00-05:00", 1_795_600_800_000L)]
    [InlineData("2026-11-25T10:00:00", 1_795_600_800_000L)]
    public async Task ISO_8601_timestamp_is_stored_as_the_instant_it_names(string at, long unixMs)
    {
        var ev = Events.TrackPlayed("iso");
        ev["at"] = at;

        var response = await _server.PostAsync(Log, ev.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(unixMs, _server.Scalar<long>("SELECT client_at FROM passport_log WHERE message_id = 'iso'"));
    }

    [Theory]
    [InlineData("2026-11-25T12:00:00\\u002B02:00")] // how System.Text.Json writes a DateTimeOffset by default
    [InlineData("2026-11-25T10:00:00\\u005A")]
    [InlineData("\\u0032026-11-25T05:00:00-05:00")]
    public async Task ISO_8601_timestamp_with_escaped_characters_is_read_as_the_same_instant(string escapedAt)
    {
        var response = await _server.PostAsync(Log, Samples.WithRaw(Events.TrackPlayed("escaped"), "at", $"\"{escapedAt}\""));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(1_795_600_800_000L, _server.Scalar<long>("SELECT client_at FROM passport_log WHERE message_id = 'escaped'"));
    }

    [Fact]
    public async Task At_more_than_24_hours_ahead_is_stored_clamped_to_the_receive_time_with_a_warning()
    {
        var ev = Events.TrackPlayed("future");
        var at = DateTimeOffset.UtcNow.AddHours(25);
        ev["at"] = at.ToString("O");

        var response = await _server.PostAsync(Log, ev.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("""{"ok":true}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, _server.Scalar<long>("SELECT occurred_at = received_at FROM passport_log WHERE message_id = 'future'"));
        Assert.Equal(at.ToUnixTimeMilliseconds(), _server.Scalar<long>("SELECT client_at FROM passport_log WHERE message_id = 'future'"));
        Assert.Equal("future_at_clamped", _server.Scalar<string>("SELECT warnings FROM passport_entries WHERE message_id = 'future'"));
    }

    [Fact]
    public async Task At_less_than_24_hours_ahead_is_stored_as_stated()
    {
        var ev = Events.TrackPlayed("soon");
        var at = DateTimeOffset.UtcNow.AddHours(23);
        ev["at"] = at.ToString("O");

        var response = await _server.PostAsync(Log, ev.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(at.ToUnixTimeMilliseconds(), _server.Scalar<long>("SELECT occurred_at FROM passport_log WHERE message_id = 'soon'"));
        Assert.Null(_server.Scalar<string?>("SELECT warnings FROM passport_log WHERE message_id = 'soon'"));
    }
}
