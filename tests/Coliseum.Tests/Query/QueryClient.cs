using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Query;

/// <summary>Reading the query API over real HTTP, and loading a server with events until they are processed.</summary>
internal static class QueryClient
{
    public static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(TestServer server, string path, string? key = TestServer.ReadKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        using var response = await server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        return (response.StatusCode, document.RootElement.Clone());
    }

    public static async Task<JsonElement> OkAsync(TestServer server, string path)
    {
        var (status, body) = await GetAsync(server, path);
        Assert.True(status == HttpStatusCode.OK, $"GET {path} answered {(int)status}: {body}");
        return body;
    }

    /// <summary>GETs <paramref name="path"/> and checks the status and, for a problem, the parameter it names.</summary>
    public static async Task ExpectAsync(TestServer server, string path, string? key, HttpStatusCode expected, string? field)
    {
        var (status, body) = await GetAsync(server, path, key);
        Assert.Equal(expected, status);
        if (field is not null)
        {
            Assert.Equal(field, body.GetProperty("field").GetString());
            Assert.False(string.IsNullOrEmpty(body.GetProperty("detail").GetString()));
        }
    }

    /// <summary>Sends the events in batches and waits until every consumer has applied the whole log.</summary>
    public static async Task LoadAsync(TestServer server, IReadOnlyList<string> events)
    {
        foreach (var chunk in events.Chunk(500))
        {
            using var response = await server.PostAsync("/api/passport/batch", "{\"events\":[" + string.Join(",", chunk) + "]}");
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            Assert.Contains("\"rejected\":[]", text, StringComparison.Ordinal);
        }
        await CaughtUpAsync(server);
    }

    public static async Task CaughtUpAsync(TestServer server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var status = await OkAsync(server, "/api/coliseum/status");
            var head = status.GetProperty("head").GetInt64();
            if (status.GetProperty("consumers").EnumerateArray().All(c => c.GetProperty("cursor").GetInt64() == head))
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"the consumers did not catch up: {status}");
            await Task.Delay(50);
        }
    }

    /// <summary>A board's entries as "rank|entity_id|entity_name|score".</summary>
    public static List<string> Entries(JsonElement board) => board.GetProperty("entries").EnumerateArray()
        .Select(e => $"{e.GetProperty("rank").GetInt64()}|{e.GetProperty("entity_id").GetString()}|{e.GetProperty("entity_name").GetString()}|{e.GetProperty("score").GetInt64()}")
        .ToList();
}
