using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Query;

/// <summary>Sends events to a real server, waits until the coliseum consumer has applied them, and calls the read endpoints.</summary>
internal static class FunnelClient
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 2, 12, 0, 0, TimeSpan.Zero);

    /// <summary>An event as a client sends it; <paramref name="fields"/> are the catalogue fields.</summary>
    public static JsonObject Event(string type, string user, DateTimeOffset at, JsonObject? fields = null, JsonObject? context = null)
    {
        var e = fields ?? [];
        e["type"] = type;
        e["userId"] = user;
        e["at"] = at.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        if (context is not null)
        {
            e["context"] = context;
        }
        return e;
    }

    public static JsonObject View(string user, DateTimeOffset at, string eventId = "e1", string source = "search", string? campaign = null) =>
        Event("concierto.event_viewed", user, at, new() { ["eventId"] = eventId, ["source"] = source },
            campaign is null ? null : new JsonObject { ["campaign"] = new JsonObject { ["source"] = campaign } });

    public static JsonObject Buy(string user, DateTimeOffset at, string eventId = "e1", long cents = 4500, string currency = "usd") =>
        Event("concierto.ticket_purchased", user, at, new() { ["eventId"] = eventId, ["ticketId"] = $"t-{user}-{at.ToUnixTimeMilliseconds()}", ["amountCents"] = cents, ["currency"] = currency });

    public static JsonObject Attend(string user, DateTimeOffset at, string eventId = "e1") =>
        Event("concierto.event_attended", user, at, new() { ["eventId"] = eventId, ["city"] = "Madrid" });

    /// <summary>Sends the events in this order (their log order) and waits until the coliseum consumer has applied them all.</summary>
    public static async Task SendAsync(TestServer server, IEnumerable<JsonObject> events)
    {
        foreach (var chunk in events.Chunk(500))
        {
            using var response = await server.PostAsync("/api/passport/batch", Events.Batch(chunk.Select(e => (JsonNode)e.DeepClone()).ToArray()));
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        }
        var head = server.LogCount;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (server.Scalar<long>("SELECT position FROM consumer_cursors WHERE name = 'coliseum'") < head)
        {
            Assert.True(DateTime.UtcNow < deadline, "the coliseum consumer did not catch up within 60 s");
            await Task.Delay(20);
        }
    }

    public static Task<HttpResponseMessage> SendAsync(TestServer server, HttpMethod method, string path, string? key, string? body = null) =>
        server.SendAsync(method, path, key, body);

    /// <summary>POSTs a funnel with the read key and returns the 200 answer.</summary>
    public static async Task<JsonElement> FunnelAsync(TestServer server, JsonObject body)
    {
        using var response = await SendAsync(server, HttpMethod.Post, "/api/coliseum/funnels", TestServer.ReadKey, body.ToJsonString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static JsonObject Funnel(string within, DateTimeOffset from, DateTimeOffset to, params string[] steps) => new()
    {
        ["steps"] = new JsonArray(steps.Select(s => (JsonNode)s).ToArray()),
        ["within"] = within,
        ["from"] = from.ToString("O"),
        ["to"] = to.ToString("O"),
    };

    public static readonly string[] ViewBuyAttend = ["concierto.event_viewed", "concierto.ticket_purchased", "concierto.event_attended"];

    /// <summary>The steps as "users|conversion|median" strings.</summary>
    public static string[] Steps(JsonElement steps) => steps.EnumerateArray()
        .Select(s => $"{s.GetProperty("users").GetInt64()}|{s.GetProperty("conversion").GetDouble()}|{Median(s.GetProperty("medianSecondsFromPrevious"))}")
        .ToArray();

    private static string Median(JsonElement value) => value.ValueKind == JsonValueKind.Null ? "-" : value.GetDouble().ToString(System.Globalization.CultureInfo.InvariantCulture);
}
