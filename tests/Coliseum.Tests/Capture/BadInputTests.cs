using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Capture;

/// <summary>
/// Invariant 5: bad input gets a clear 4xx and harms nothing. Every test starts with one good event in
/// the log, sends something bad, and checks the answer word for word and that the log still holds
/// exactly the good event.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private const string GoodMessageId = "good-1";
    private const string Log = "/api/passport/log";
    private const int MaxEventBytes = 32 * 1024;
    private const int MaxRequestBytes = 512 * 1024;

    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        var response = await _server.PostAsync(Log, Events.TrackPlayed(GoodMessageId).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private void AssertOnlyTheGoodEventIsStored() =>
        Assert.Equal([GoodMessageId], Sql.Column(_server.DatabasePath, "SELECT message_id FROM passport_entries ORDER BY position"));

    private void AssertStoredAfterTheGoodEvent(string messageId) =>
        Assert.Equal([GoodMessageId, messageId], Sql.Column(_server.DatabasePath, "SELECT message_id FROM passport_entries ORDER BY position"));

    // ---- size ----

    [Fact]
    public async Task Event_over_32_KB_is_refused_with_400_naming_its_size_and_nothing_is_stored()
    {
        var ev = Events.TrackPlayed("big");
        ev["notes"] = new string('x', MaxEventBytes);
        var body = ev.ToJsonString();

        var response = await _server.PostAsync(Log, body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, $"event is {Encoding.UTF8.GetByteCount(body)} bytes; the limit is {MaxEventBytes} bytes");
        AssertOnlyTheGoodEventIsStored();
    }

    [Fact]
    public async Task Event_of_exactly_32_KB_is_stored()
    {
        var body = Padded(Events.TrackPlayed("edge"), MaxEventBytes);
        Assert.Equal(MaxEventBytes, Encoding.UTF8.GetByteCount(body));

        var response = await _server.PostAsync(Log, body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        AssertStoredAfterTheGoodEvent("edge");
    }

    [Theory]
    [InlineData("/api/passport/log")]
    [InlineData("/api/passport/batch")]
    [InlineData("/v1/track")]
    [InlineData("/v1/batch")]
    public async Task Request_over_512_KB_is_refused_with_413_and_nothing_is_stored(string path)
    {
        var body = Batch(MaxRequestBytes + 1);

        var response = await _server.PostAsync(path, body);

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, $"request body is {MaxRequestBytes + 1} bytes; the limit is {MaxRequestBytes} bytes");
        AssertOnlyTheGoodEventIsStored();
    }

    [Fact]
    public async Task Chunked_request_over_512_KB_is_refused_with_413_once_the_limit_is_passed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/passport/batch")
        {
            // A stream of unknown length goes out chunked, so the server cannot refuse it by Content-Length.
            Content = new StreamContent(new UnseekableStream(Encoding.UTF8.GetBytes(Batch(MaxRequestBytes + 1)))),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Coliseum-Key", TestServer.WriteKey);

        var response = await _server.Client.SendAsync(request);

        Assert.Null(request.Content.Headers.ContentLength);
        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, $"request body is larger than the limit of {MaxRequestBytes} bytes");
        AssertOnlyTheGoodEventIsStored();
    }

    [Fact]
    public async Task Batch_of_exactly_512_KB_is_stored_whole()
    {
        var body = Batch(MaxRequestBytes);
        var count = JsonNode.Parse(body)!["events"]!.AsArray().Count;

        var response = await _server.PostAsync("/api/passport/batch", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(count, (await response.ReadJsonAsync()).GetProperty("accepted").GetInt32());
        Assert.Equal(1 + count, _server.LogCount);
    }

    // ---- depth ----

    [Fact]
    public async Task Body_nested_deeper_than_16_levels_is_refused_with_400_mentioning_depth()
    {
        var ev = Events.TrackPlayed("deep");
        ev["deep"] = Nested(16); // the body's own object is level 1, so this reaches 17

        var response = await _server.PostAsync(Log, ev.ToJsonString());

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "request body nests deeper than 16 levels");
        AssertOnlyTheGoodEventIsStored();
    }

    [Theory]
    [InlineData("/api/passport/log", "{\"deep\":", "}")]
    [InlineData("/api/passport/batch", "{\"events\":[", "]}")]
    [InlineData("/v1/batch", "{\"batch\":[", "]}")]
    public async Task Arrays_count_toward_the_depth_limit_on_every_endpoint(string path, string open, string close)
    {
        var levels = 17 - open.Count(c => c is '{' or '[');
        var body = open + new string('[', levels) + new string(']', levels) + close;

        var response = await _server.PostAsync(path, body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "request body nests deeper than 16 levels");
        AssertOnlyTheGoodEventIsStored();
    }

    [Fact]
    public async Task Body_nested_exactly_16_levels_is_stored_with_its_nesting_kept()
    {
        var ev = Events.TrackPlayed("deep-ok");
        ev["deep"] = Nested(15);

        var response = await _server.PostAsync(Log, ev.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("x", _server.Scalar<string>("SELECT json_extract(metadata, '$.deep" + string.Concat(Enumerable.Repeat(".a", 15)) + "') FROM passport_entries WHERE message_id = 'deep-ok'"));
    }

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

    // ---- not JSON, or not the JSON expected ----

    [Theory]
    [InlineData("hello")]
    [InlineData("{\"type\":\"player.track_played\",")]
    [InlineData("{'type':'player.track_played'}")]
    [InlineData("{type: \"player.track_played\"}")]
    [InlineData("<event type=\"player.track_played\"/>")]
    [InlineData("{\"type\":\"player.track_played\"} {}")]
    [InlineData("{\"userId\":\"fan-1\",}")]
    public async Task Body_that_is_not_JSON_is_refused_with_400_and_the_parser_s_reason(string body)
    {
        var response = await _server.PostAsync(Log, body);

        await response.AssertProblemStartingWithAsync(HttpStatusCode.BadRequest, "request body is not valid JSON: ");
        AssertOnlyTheGoodEventIsStored();
    }

    [Fact]
    public async Task JSON_array_sent_to_the_single_event_endpoint_is_refused_pointing_to_the_batch_endpoint()
    {
        var response = await _server.PostAsync(Log, new JsonArray(Events.TrackPlayed("in-array")).ToJsonString());

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "expected one event as a JSON object; send several to /api/passport/batch as {\"events\": [...]}");
        AssertOnlyTheGoodEventIsStored();
    }

    [Theory]
    [InlineData("null", "event must be a JSON object, not null")]
    [InlineData("42", "event must be a JSON object, not a number")]
    [InlineData("\"player.track_played\"", "event must be a JSON object, not a string")]
    [InlineData("true", "event must be a JSON object, not a boolean")]
    public async Task JSON_scalar_sent_as_an_event_is_refused_saying_what_it_is(string body, string error)
    {
        var response = await _server.PostAsync(Log, body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, error);
        AssertOnlyTheGoodEventIsStored();
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

    // ---- bytes and encodings ----

    [Theory]
    [InlineData("C3 28")]          // a two-byte sequence whose second byte is not a continuation
    [InlineData("FF")]             // never valid in UTF-8
    [InlineData("C0 AF")]          // overlong encoding of '/'
    [InlineData("ED A0 80")]       // a UTF-16 surrogate encoded as UTF-8
    [InlineData("E2 82")]          // truncated three-byte sequence
    public async Task Invalid_UTF_8_inside_a_string_is_refused_with_400(string hex)
    {
        var body = new List<byte>();
        body.AddRange("{\"type\":\"player.track_played\",\"userId\":\"fan-"u8.ToArray());
        body.AddRange(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)));
        body.AddRange(Encoding.UTF8.GetBytes($"\",\"at\":\"{Events.Now}\",\"trackId\":\"t\",\"artistId\":\"a\",\"durationSeconds\":1,\"messageId\":\"utf8\"}}"));

        var response = await _server.PostAsync(Log, body.ToArray());

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "request body is not valid UTF-8");
        AssertOnlyTheGoodEventIsStored();
    }

    [Theory]
    [InlineData("userId", "\"\\ud800\"", "\\ud800")]                 // an envelope field
    [InlineData("trackId", "\"track-\\udc00\"", "\\udc00")]          // a catalogue field
    [InlineData("type", "\"player.\\uD83C\"", "\\uD83C")]            // the type
    [InlineData("notes", "\"\\ud83c x \\udfb8\"", "\\ud83c")]      // an extra field: the halves are apart
    [InlineData("notes", "[\"ok\", {\"deep\": \"\\udfb8\\ud83c\"}]", "\\udfb8")] // low half before high half
    public async Task Escaped_unpaired_surrogate_is_refused_with_400_naming_the_escape(string field, string rawValue, string escape)
    {
        // Valid JSON syntax, but no character: it cannot be read as text nor stored as UTF-8.
        var response = await _server.PostAsync(Log, Samples.WithRaw(Events.TrackPlayed("surrogate"), field, rawValue));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, $"request body is not valid Unicode: the escape {escape} is half of a UTF-16 surrogate pair");
        AssertOnlyTheGoodEventIsStored();
    }

    [Fact]
    public async Task Escaped_unpaired_surrogate_in_a_property_name_is_refused_with_400()
    {
        var response = await _server.PostAsync(Log, Samples.WithRaw(Events.TrackPlayed("surrogate"), "\\ud800", "1"));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "request body is not valid Unicode: the escape \\ud800 is half of a UTF-16 surrogate pair");
        AssertOnlyTheGoodEventIsStored();
    }

    [Fact]
    public async Task Escaped_surrogate_pair_and_escaped_backslashes_are_stored_as_the_text_they_stand_for()
    {
        var body = Samples.WithRaw(Events.TrackPlayed("pair"), "notes", "\"\\ud83c\\udfb8 \\\\ud800 \\u0041\"");

        var response = await _server.PostAsync(Log, body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("🎸 \\ud800 A", _server.Scalar<string>("SELECT json_extract(metadata, '$.notes') FROM passport_entries WHERE message_id = 'pair'"));
    }

    [Fact]
    public async Task Non_ASCII_text_in_UTF_8_is_stored_exactly()
    {
        // Written by hand: JsonNode would escape every non-ASCII character as \uXXXX.
        var body = Events.TrackPlayed("utf8-ok").ToJsonString()[..^1] + ",\"city\":\"São Paulo ♫ 東京 🎸\"}";

        var response = await _server.PostAsync(Log, body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("São Paulo ♫ 東京 🎸", _server.Scalar<string>("SELECT json_extract(metadata, '$.city') FROM passport_entries WHERE message_id = 'utf8-ok'"));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\r\n\t  \n")]
    public async Task Empty_or_whitespace_body_is_refused_with_400(string body)
    {
        var response = await _server.PostAsync(Log, body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "request body is empty; send a JSON object");
        AssertOnlyTheGoodEventIsStored();
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("text/html")]
    [InlineData("application/xml")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("text/plain; charset=iso-8859-1")]
    [InlineData(null)]
    public async Task Body_of_a_content_type_other_than_UTF_8_JSON_or_text_is_refused_with_415(string? contentType)
    {
        var response = await _server.PostAsync(Log, Encoding.UTF8.GetBytes(Events.TrackPlayed("ct").ToJsonString()), contentType: contentType);

        await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, $"Content-Type must be application/json or text/plain with UTF-8, not '{contentType ?? "(none)"}'");
        AssertOnlyTheGoodEventIsStored();
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("text/plain")]
    [InlineData("text/plain;charset=UTF-8")]
    [InlineData("application/vnd.coliseum+json")]
    public async Task Body_of_UTF_8_JSON_or_text_content_type_is_stored(string contentType)
    {
        var response = await _server.PostAsync(Log, Encoding.UTF8.GetBytes(Events.TrackPlayed("ct-ok").ToJsonString()), contentType: contentType);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        AssertStoredAfterTheGoodEvent("ct-ok");
    }

    [Theory]
    [InlineData("userId", """{"userId":"fan-1","userId":"fan-2"}""")]
    [InlineData("a", """{"lyrics":{"a":1,"a":2}}""")]
    [InlineData("depth", """{"depth":1,"depth":2}""")]
    public async Task Duplicate_property_names_are_refused_with_400_naming_the_property(string property, string extra)
    {
        // Which of two values is meant cannot be known, so neither is taken.
        var body = Events.TrackPlayed("dup-prop").ToJsonString()[..^1] + "," + extra[1..];

        var response = await _server.PostAsync(Log, body);

        var problem = await response.AssertProblemStartingWithAsync(HttpStatusCode.BadRequest, "request body is not valid JSON: ");
        Assert.Contains($"'{property}'", problem.GetProperty("error").GetString(), StringComparison.Ordinal);
        AssertOnlyTheGoodEventIsStored();
    }

    // ---- never a 5xx ----

    public static TheoryData<string, string> GarbageOnEveryEndpoint()
    {
        string[] paths = ["/api/passport/log", "/api/passport/batch", "/v1/track", "/v1/identify", "/v1/page", "/v1/alias", "/v1/group", "/v1/batch"];
        string[] bodies =
        [
            "", "null", "[]", "{}", "0", "\"\"", "[[[]]]", "{\"events\":null}", "{\"events\":[null,1,\"x\",[],{}]}",
            "{\"batch\":{}}", "{\"batch\":[null,1,{},{\"type\":\"track\"},{\"type\":7}]}", "{\"type\":null}", "{\"type\":{}}",
            "{\"event\":{},\"properties\":[]}", "{\"userId\":[],\"event\":\"x\"}", "{\"traits\":1,\"userId\":1}", "{\"context\":7,\"userId\":\"u\",\"event\":\"e\"}",
            "{\"timestamp\":1,\"userId\":\"u\",\"event\":\"e\"}", "{\"sentAt\":\"x\",\"originalTimestamp\":\"y\",\"userId\":\"u\",\"event\":\"e\"}",
            "{\"properties\":{\"type\":{},\"at\":[]},\"userId\":\"u\"}", "{\"messageId\":1e999,\"userId\":\"u\",\"event\":\"e\"}",
            "{\"at\":\"9999-12-31T23:59:59Z\",\"sentAt\":\"0001-01-01T00:00:00Z\",\"type\":\"x.y\",\"userId\":\"u\",\"amountCents\":1}",
            "\"\\ud800\"", "{\"userId\":\"\\u0000\",\"at\":\"\\ud800\"}", "{\"userId\":\"\\ud800\",\"event\":\"\\udc00\",\"type\":\"x.\\ud800\"}",
            "{\"\\ud800\":1,\"userId\":\"u\",\"type\":\"x.y\",\"at\":\"2026-11-25T10:00:00Z\"}", "{\"batch\":[{\"type\":\"\\ud800\"}],\"events\":[{\"type\":\"\\ud800\"}]}",
        ];
        var data = new TheoryData<string, string>();
        foreach (var path in paths)
        {
            foreach (var body in bodies)
            {
                data.Add(path, body);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(GarbageOnEveryEndpoint))]
    public async Task Odd_input_on_any_capture_endpoint_is_never_answered_with_a_5xx_and_a_refusal_stores_nothing(string path, string body)
    {
        // Some of these are, oddly, valid (a Segment page needs little more than a userId); the point is the status.
        var response = await _server.PostAsync(path, body);

        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        if (!response.IsSuccessStatusCode)
        {
            AssertOnlyTheGoodEventIsStored();
        }
    }

    // ---- helpers ----

    /// <summary>A batch of small padded events whose JSON is exactly <paramref name="bytes"/> long.</summary>
    private static string Batch(int bytes)
    {
        const int eventBytes = 30_000;
        var events = new List<string>();
        var total = "{\"events\":[]}".Length;
        // Leave between 1,000 and 31,000 bytes for the last event, so no event passes the 32 KB limit.
        for (var i = 0; total + eventBytes + 1 + 1_000 < bytes; i++)
        {
            var ev = Padded(Events.TrackPlayed($"pad-{i}"), eventBytes);
            events.Add(ev);
            total += ev.Length + (events.Count > 1 ? 1 : 0);
        }
        var last = Padded(Events.TrackPlayed("pad-last"), bytes - total - (events.Count > 0 ? 1 : 0));
        events.Add(last);
        var body = "{\"events\":[" + string.Join(",", events) + "]}";
        Assert.Equal(bytes, Encoding.UTF8.GetByteCount(body));
        return body;
    }

    /// <summary>The event with a <c>notes</c> field sized so its JSON is exactly <paramref name="bytes"/> long.</summary>
    private static string Padded(JsonObject ev, int bytes)
    {
        ev["notes"] = "";
        var padding = bytes - Encoding.UTF8.GetByteCount(ev.ToJsonString());
        ev["notes"] = new string('x', padding);
        return ev.ToJsonString();
    }

    private static JsonNode Nested(int levels)
    {
        JsonNode node = "x";
        for (var i = 0; i < levels; i++)
        {
            node = new JsonObject { ["a"] = node };
        }
        return node;
    }

    /// <summary>A stream HttpClient cannot measure, so the request goes out with chunked transfer encoding.</summary>
    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
