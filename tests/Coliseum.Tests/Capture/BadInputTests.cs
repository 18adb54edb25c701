using System.IO.Compression;
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
public sealed partial class BadInputTests : IAsyncLifetime
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

    [Fact]
    public async Task Gzip_compressed_body_is_stored()
    {
        var response = await PostGzipAsync(Events.TrackPlayed("gz").ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        AssertStoredAfterTheGoodEvent("gz");
    }

    [Theory]
    [InlineData(MaxRequestBytes + 1)]
    [InlineData(8 * 1024 * 1024)] // a few KB on the wire; past Kestrel's own backstop once inflated
    public async Task Gzip_body_that_inflates_past_512_KB_is_refused_with_413(int inflatedBytes)
    {
        var response = await PostGzipAsync(Batch(inflatedBytes));

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, $"request body is larger than the limit of {MaxRequestBytes} bytes");
        AssertOnlyTheGoodEventIsStored();
    }

    private async Task<HttpResponseMessage> PostGzipAsync(string json)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal))
        {
            gzip.Write(Encoding.UTF8.GetBytes(json));
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, json.StartsWith("{\"events\"", StringComparison.Ordinal) ? "/api/passport/batch" : Log)
        {
            Content = new ByteArrayContent(compressed.ToArray()),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Content.Headers.ContentEncoding.Add("gzip");
        request.Headers.Add("X-Coliseum-Key", TestServer.WriteKey);
        return await _server.Client.SendAsync(request);
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
