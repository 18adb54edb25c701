using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;
using static Coliseum.Tests.Query.FunnelClient;

namespace Coliseum.Tests.Query;

/// <summary>Every bad input of the funnel and attribution endpoints gets a 4xx naming the field; keys are checked.</summary>
public sealed class QueryInputTests
{
    private const string Good = """{"steps":["concierto.event_viewed","concierto.ticket_purchased"],"within":"7d","from":"2026-11-01T00:00:00Z","to":"2026-11-08T00:00:00Z"}""";

    private static string With(string property, JsonNode? value)
    {
        var body = JsonNode.Parse(Good)!.AsObject();
        if (value is null)
        {
            body.Remove(property);
        }
        else
        {
            body[property] = value;
        }
        return body.ToJsonString();
    }

    public static TheoryData<string, string?> BadFunnels => new()
    {
        { "[]", null },
        { "{", null },
        { With("steps", null), "steps" },
        { With("steps", "concierto.event_viewed"), "steps" },
        { With("steps", new JsonArray("concierto.event_viewed")), "steps" },
        { With("steps", new JsonArray(Enumerable.Range(0, 11).Select(_ => (JsonNode?)"concierto.event_viewed").ToArray())), "steps" },
        { With("steps", new JsonArray("concierto.event_viewed", "concierto.ticket_bought")), "steps[1]" },
        { With("steps", new JsonArray("concierto.event_viewed", 3)), "steps[1]" },
        { With("within", "7"), "within" },
        { With("within", "0d"), "within" },
        { With("within", "-1h"), "within" },
        { With("within", "2w"), "within" },
        { With("within", "91d"), "within" },
        { With("within", "2161h"), "within" },
        { With("within", 7), "within" },
        { With("from", null), "from" },
        { With("from", "yesterday"), "from" },
        { With("to", null), "to" },
        { With("to", 1795600000000), "to" },
        { With("to", "2026-11-01T00:00:00Z"), "from" },
        { With("to", "2027-11-03T00:00:00Z"), "to" },
        { With("filters", "eventId"), "filters" },
        { With("filters", new JsonObject { ["ticketId"] = "t1", ["nope"] = "x" }), "filters.nope" },
        { With("filters", new JsonObject { ["eventId"] = new JsonArray("e1") }), "filters.eventId" },
        { With("filters", new JsonObject { ["eventId"] = null }), "filters.eventId" },
        { With("breakdown", "context.campaign.nope"), "breakdown" },
        { With("breakdown", "ticketId"), "breakdown" },
        { With("breakdown", 1), "breakdown" },
        { With("breakdownLimit", 0), "breakdownLimit" },
        { With("breakdownLimit", 51), "breakdownLimit" },
        { With("breakdownLimit", "5"), "breakdownLimit" },
        { With("limit", 5), "limit" },
    };

    [Theory]
    [MemberData(nameof(BadFunnels))]
    public async Task A_bad_funnel_gets_a_400_naming_the_field(string body, string? field)
    {
        await using var server = await TestServer.StartAsync();
        using var response = await SendAsync(server, HttpMethod.Post, "/api/coliseum/funnels", TestServer.ReadKey, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        using var problem = JsonDocument.Parse(text);
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("detail").GetString()));
        Assert.Equal(field, problem.RootElement.TryGetProperty("field", out var named) ? named.GetString() : null);
    }

    [Fact]
    public async Task Funnels_need_a_read_key_and_a_bounded_body()
    {
        await using var server = await TestServer.StartAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(server, HttpMethod.Post, "/api/coliseum/funnels", null, Good)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(server, HttpMethod.Post, "/api/coliseum/funnels", TestServer.WriteKey, Good)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(server, HttpMethod.Post, "/api/coliseum/funnels", TestServer.ReadKey, Good)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(server, HttpMethod.Post, "/api/coliseum/funnels", TestServer.AdminKey, With("within", "90d"))).StatusCode);
        var huge = With("filters", new JsonObject { ["eventId"] = new string('x', 70_000) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await SendAsync(server, HttpMethod.Post, "/api/coliseum/funnels", TestServer.ReadKey, huge)).StatusCode);
    }

    public static TheoryData<string, string> BadAttributions => new()
    {
        { "model=first_touch&from=2026-11-01T00:00:00Z&to=2026-11-08T00:00:00Z", "conversion" },
        { "conversion=concierto.event_viewed&from=2026-11-01T00:00:00Z&to=2026-11-08T00:00:00Z", "conversion" },
        { "conversion=passport.signed_up&model=linear&from=2026-11-01T00:00:00Z&to=2026-11-08T00:00:00Z", "model" },
        { "conversion=passport.signed_up&to=2026-11-08T00:00:00Z", "from" },
        { "conversion=passport.signed_up&from=2026-11-01&to=2026-11-08T00:00:00Z", "from" },
        { "conversion=passport.signed_up&from=2026-11-01T00:00:00Z", "to" },
        { "conversion=passport.signed_up&from=2026-11-08T00:00:00Z&to=2026-11-01T00:00:00Z", "from" },
        { "conversion=passport.signed_up&from=2026-01-01T00:00:00Z&to=2027-01-03T00:00:00Z", "to" },
        { "conversion=passport.signed_up&from=2026-11-01T00:00:00Z&to=2026-11-08T00:00:00Z&limit=0", "limit" },
        { "conversion=passport.signed_up&from=2026-11-01T00:00:00Z&to=2026-11-08T00:00:00Z&limit=1001", "limit" },
    };

    [Theory]
    [MemberData(nameof(BadAttributions))]
    public async Task A_bad_attribution_query_gets_a_400_naming_the_field(string query, string field)
    {
        await using var server = await TestServer.StartAsync();
        using var response = await SendAsync(server, HttpMethod.Get, "/api/coliseum/attribution?" + query, TestServer.ReadKey);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        using var problem = JsonDocument.Parse(text);
        Assert.Equal(field, problem.RootElement.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Attribution_needs_a_read_key()
    {
        await using var server = await TestServer.StartAsync();
        const string path = "/api/coliseum/attribution?conversion=passport.signed_up&from=2026-11-01T00:00:00Z&to=2026-11-08T00:00:00Z";
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(server, HttpMethod.Get, path, null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(server, HttpMethod.Get, path, TestServer.WriteKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(server, HttpMethod.Get, path, TestServer.ReadKey)).StatusCode);
    }
}
