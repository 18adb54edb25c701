using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Capture;

/// <summary>Bad input, byte by byte: syntax, encodings, content types; and never a 5xx.</summary>
public sealed partial class BadInputTests
{
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

    [Theory]
    [InlineData("notes", "\"a\\u0000b\"")]
    [InlineData("notes", "{\"deep\":[\"x\",\"\\u0000\"]}")]
    [InlineData("userId", "\"fan\\u0000\"")]
    [InlineData("context", "{\"locale\":\"\\u0000\"}")]
    public async Task A_NUL_character_anywhere_is_refused_with_400_naming_the_field_on_every_backend(string field, string rawValue)
    {
        // PostgreSQL's text and jsonb cannot hold NUL; SQLite could, but an event must not be stored on one backend and refused on the other.
        var body = Samples.WithRaw(Events.TrackPlayed("nul"), field, rawValue);

        var response = await _server.PostAsync(Log, body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, $"'{field}' contains a NUL character (\\u0000): Coliseum stores text without it (PostgreSQL cannot hold it)", field);
        AssertOnlyTheGoodEventIsStored();
    }

    [Fact]
    public async Task An_escaped_backslash_before_u0000_is_text_not_a_NUL_and_is_stored()
    {
        var body = Samples.WithRaw(Events.TrackPlayed("not-nul"), "notes", "\"C:\\\\u0000\"");

        var response = await _server.PostAsync(Log, body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("C:\\u0000", _server.Scalar<string>("SELECT json_extract(metadata, '$.notes') FROM passport_entries WHERE message_id = 'not-nul'"));
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
}
