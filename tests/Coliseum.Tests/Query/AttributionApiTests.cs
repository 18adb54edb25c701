using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;
using static Coliseum.Tests.Query.FunnelClient;

namespace Coliseum.Tests.Query;

/// <summary><c>GET /api/coliseum/attribution</c> over real HTTP: conversions and value per source, medium, campaign and currency.</summary>
public sealed class AttributionApiTests
{
    private static JsonObject Session(string user, DateTimeOffset at, string source, string? campaign = null) =>
        Event("passport.session_started", user, at, new() { ["platform"] = "web", ["utm"] = new JsonObject { ["source"] = source, ["medium"] = "email", ["campaign"] = campaign } });

    [Fact]
    public async Task Conversions_are_counted_per_source_with_value_per_currency_and_sorted_by_conversions()
    {
        await using var server = await TestServer.StartAsync();
        await SendAsync(server,
        [
            Session("a", T0.AddHours(-5), "newsletter", "autumn"), Session("a", T0.AddHours(-1), "instagram"), Buy("a", T0, cents: 4000, currency: "usd"),
            Session("b", T0.AddHours(-2), "newsletter", "autumn"), Buy("b", T0, cents: 3000, currency: "eur"), Buy("b", T0.AddHours(1), cents: 500, currency: "usd"),
            Buy("c", T0, cents: 100, currency: "usd"),
            // Outside the range asked for.
            Session("d", T0.AddDays(-3), "radio"), Buy("d", T0.AddDays(-2), cents: 999, currency: "usd"),
            // Another conversion type.
            Event("passport.signed_up", "e", T0, new() { ["method"] = "email", ["utm"] = new JsonObject { ["source"] = "podcast" } }),
        ]);
        var first = await GetAsync(server, "concierto.ticket_purchased", "first_touch");
        Assert.Equal(4, first.GetProperty("conversions").GetInt64());
        Assert.Equal(2, first.GetProperty("sources").GetInt32());
        Assert.Equal(["newsletter|email|autumn|3|eur:3000,usd:4500", "(direct)|∅|∅|1|usd:100"], Rows(first));
        Assert.Equal(server.LogCount, first.GetProperty("logPosition").GetInt64());

        var last = await GetAsync(server, "concierto.ticket_purchased", "last_touch");
        Assert.Equal(["newsletter|email|autumn|2|eur:3000,usd:500", "(direct)|∅|∅|1|usd:100", "instagram|email|∅|1|usd:4000"], Rows(last));

        var limited = await GetAsync(server, "concierto.ticket_purchased", "last_touch", "&limit=1");
        Assert.Equal(["newsletter|email|autumn|2|eur:3000,usd:500"], Rows(limited));
        Assert.Equal(3, limited.GetProperty("sources").GetInt32());

        var signups = await GetAsync(server, "passport.signed_up", "last_touch");
        Assert.Equal(["podcast|∅|∅|1|"], Rows(signups));
    }

    private static async Task<JsonElement> GetAsync(TestServer server, string conversion, string model, string extra = "")
    {
        var path = $"/api/coliseum/attribution?conversion={conversion}&model={model}&from={T0.AddDays(-1):yyyy-MM-ddTHH:mm:ssZ}&to={T0.AddDays(1):yyyy-MM-ddTHH:mm:ssZ}{extra}";
        using var response = await SendAsync(server, HttpMethod.Get, path, TestServer.ReadKey);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string[] Rows(JsonElement result) => result.GetProperty("rows").EnumerateArray()
        .Select(r => $"{r.GetProperty("source").GetString()}|{r.GetProperty("medium").GetString() ?? "∅"}|{r.GetProperty("campaign").GetString() ?? "∅"}|{r.GetProperty("conversions").GetInt64()}|"
            + string.Join(",", r.GetProperty("value").EnumerateArray().Select(v => $"{v.GetProperty("currency").GetString()}:{v.GetProperty("cents").GetInt64()}")))
        .ToArray();
}
