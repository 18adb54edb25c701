using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Query;

/// <summary>HTTP helpers for the query tests: send with a key, load events, wait for the consumers and for a report.</summary>
public static class ReportClient
{
    public static Task<HttpResponseMessage> SendAsync(TestServer server, HttpMethod method, string path, string? key, string? body = null) =>
        server.SendAsync(method, path, key, body);

    /// <summary>Posts events in batches of 500 with the write key, then waits until every consumer has applied the whole log.</summary>
    public static Task LoadAsync(TestServer server, IEnumerable<JsonObject> events) =>
        QueryClient.LoadAsync(server, events.Select(e => e.ToJsonString()).ToList());

    public static Task CaughtUpAsync(TestServer server) => QueryClient.CaughtUpAsync(server);

    /// <summary>Creates a report (expects 202) and waits until it is done or failed; returns the GET answer.</summary>
    public static async Task<JsonElement> ReportAsync(TestServer server, string type, string parameters, string key = TestServer.ReadKey)
    {
        using var created = await SendAsync(server, HttpMethod.Post, "/api/coliseum/reports", key, $$"""{"type":"{{type}}","params":{{parameters}}}""");
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Accepted, text);
        var location = created.Headers.Location!.ToString();
        return await WaitDoneAsync(server, location);
    }

    public static async Task<JsonElement> WaitDoneAsync(TestServer server, string location)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await SendAsync(server, HttpMethod.Get, location, TestServer.ReadKey);
            last = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var report = JsonDocument.Parse(last).RootElement.Clone();
            if (report.GetProperty("status").GetString() is "done" or "failed")
            {
                return report;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException("the report never finished: " + last);
    }
}
