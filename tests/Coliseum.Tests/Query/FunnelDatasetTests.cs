using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;
using static Coliseum.Tests.Query.FunnelClient;

namespace Coliseum.Tests.Query;

/// <summary>
/// A funnel over a generated log (ties in time, events sent out of time order, events outside the range)
/// against a brute-force answer computed from the generated events: every possible matching of every
/// attempt is enumerated, not the greedy walk the server uses.
/// </summary>
public sealed class FunnelDatasetTests
{
    private static readonly DateTimeOffset From = T0.AddDays(-1);
    private static readonly DateTimeOffset To = T0.AddDays(1);
    private const long WithinMs = 6 * 3_600_000L;
    private static readonly string[] Campaigns = ["newsletter", "instagram", "tiktok"];

    private sealed record Generated(int Position, string User, string Type, long At, string EventId, string? Source, string? Campaign);

    private static List<Generated> Generate(int users, int seed)
    {
        var random = new Random(seed);
        string[] types = [.. ViewBuyAttend, "passport.page_viewed"];
        var events = new List<Generated>();
        for (var u = 0; u < users; u++)
        {
            var count = random.Next(0, 13);
            // Each user is active for about eight hours somewhere from 6 h before the range to 6 h after it, in
            // ten-minute steps: many ties, some attempts starting outside the range, some gaps over the window.
            var active = From.AddHours(-6 + random.Next(0, 60));
            for (var i = 0; i < count; i++)
            {
                var type = types[random.Next(types.Length)];
                var at = active.AddMinutes(10 * random.Next(0, 48)).ToUnixTimeMilliseconds();
                events.Add(new Generated(0, $"user-{u}", type, at, random.Next(3) == 0 ? "e2" : "e1",
                    type == "concierto.event_viewed" ? (random.Next(2) == 0 ? "search" : "home_feed") : null,
                    random.Next(4) == 0 ? null : Campaigns[random.Next(Campaigns.Length)]));
            }
        }
        // Log order is not time order.
        return events.OrderBy(_ => random.Next()).Select((e, i) => e with { Position = i }).ToList();
    }

    private static JsonObject ToJson(Generated e)
    {
        var fields = e.Type switch
        {
            "concierto.event_viewed" => new JsonObject { ["eventId"] = e.EventId, ["source"] = e.Source },
            "concierto.ticket_purchased" => new JsonObject { ["eventId"] = e.EventId, ["ticketId"] = $"t{e.Position}", ["amountCents"] = 1000, ["currency"] = "usd" },
            "concierto.event_attended" => new JsonObject { ["eventId"] = e.EventId, ["city"] = "Lima" },
            _ => new JsonObject { ["path"] = "/events/" + e.EventId },
        };
        var context = e.Campaign is null ? new JsonObject { ["locale"] = "es-PE" } : new JsonObject { ["campaign"] = new JsonObject { ["source"] = e.Campaign } };
        return Event(e.Type, e.User, DateTimeOffset.FromUnixTimeMilliseconds(e.At), fields, context);
    }

    /// <summary>The expected answer: per user, every attempt's every matching, the deepest (then earliest-starting) attempt, its earliest step times.</summary>
    private static (List<string> Total, List<string> Groups) Expected(List<Generated> events, string[] steps, Func<int, Generated, bool> eligible, int? breakdownLimit)
    {
        long from = From.ToUnixTimeMilliseconds(), to = To.ToUnixTimeMilliseconds();
        var outcomes = new List<(string Group, int Depth, long[] Gaps)>();
        foreach (var user in events.GroupBy(e => e.User))
        {
            var mine = user.OrderBy(e => e.At).ThenBy(e => e.Position).ToList();
            (int Depth, long[] Times) best = (0, []);
            Generated? bestStart = null;
            foreach (var start in mine.Where(e => eligible(0, e) && e.At >= from && e.At < to))
            {
                var attempt = Deepest(mine, steps.Length, eligible, 1, start.At, [start], start.At + WithinMs);
                if (attempt.Depth > best.Depth)
                {
                    best = attempt;
                    bestStart = start;
                }
            }
            if (bestStart is null)
            {
                continue;
            }
            var times = new[] { bestStart.At }.Concat(best.Times).ToArray();
            outcomes.Add((bestStart.Campaign ?? "(none)", best.Depth, times.Select((t, i) => i == 0 ? 0 : t - times[i - 1]).ToArray()));
        }
        var total = Render(outcomes, steps.Length);
        var groups = new List<string>();
        if (breakdownLimit is { } limit)
        {
            var ordered = outcomes.GroupBy(o => o.Group).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
            groups.AddRange(ordered.Take(limit).Select(g => g.Key + ":" + string.Join(",", Render(g.ToList(), steps.Length))));
            if (ordered.Count > limit)
            {
                groups.Add("(other):" + string.Join(",", Render(ordered.Skip(limit).SelectMany(g => g).ToList(), steps.Length)));
            }
        }
        return (total, groups);
    }

    /// <summary>All matchings of steps k.. after <paramref name="previous"/>: the deepest, and among those the earliest times in order.</summary>
    private static (int Depth, long[] Times) Deepest(List<Generated> mine, int steps, Func<int, Generated, bool> eligible, int k, long previous, List<Generated> used, long deadline)
    {
        if (k == steps)
        {
            return (steps, []);
        }
        (int Depth, long[] Times) best = (k, []);
        foreach (var e in mine.Where(e => eligible(k, e) && !used.Contains(e) && e.At >= previous && e.At <= deadline))
        {
            used.Add(e);
            var rest = Deepest(mine, steps, eligible, k + 1, e.At, used, deadline);
            used.Remove(e);
            var times = new[] { e.At }.Concat(rest.Times).ToArray();
            if (rest.Depth > best.Depth || (rest.Depth == best.Depth && times.Zip(best.Times).Select(p => p.First.CompareTo(p.Second)).FirstOrDefault(c => c != 0) < 0))
            {
                best = (rest.Depth, times);
            }
        }
        return best;
    }

    private static List<string> Render(List<(string Group, int Depth, long[] Gaps)> outcomes, int steps)
    {
        var rendered = new List<string>();
        var first = outcomes.Count;
        for (var k = 0; k < steps; k++)
        {
            var reached = outcomes.Where(o => o.Depth > k).ToList();
            var conversion = first == 0 ? 0 : Math.Round((double)reached.Count / first, 6);
            string median = "-";
            if (k > 0 && reached.Count > 0)
            {
                var gaps = reached.Select(o => o.Gaps[k]).Order().ToList();
                var ms = gaps.Count % 2 == 1 ? gaps[gaps.Count / 2] : (gaps[gaps.Count / 2 - 1] + gaps[gaps.Count / 2]) / 2.0;
                median = Math.Round(ms / 1000.0, 3).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            rendered.Add($"{reached.Count}|{conversion}|{median}");
        }
        return rendered;
    }

    private static List<string> Groups(JsonElement result) => result.GetProperty("breakdown").EnumerateArray()
        .Select(g => g.GetProperty("value").GetString() + ":" + string.Join(",", Steps(g.GetProperty("steps")))).ToList();

    [Fact]
    public async Task A_funnel_over_a_generated_log_equals_a_brute_force_count()
    {
        var events = Generate(users: 200, seed: 11);
        await using var server = await TestServer.StartAsync();
        await SendAsync(server, events.Select(ToJson));

        bool Plain(int k, Generated e) => e.Type == ViewBuyAttend[k];
        var plain = Expected(events, ViewBuyAttend, Plain, null);
        Assert.True(int.Parse(plain.Total[2].Split('|')[0], System.Globalization.CultureInfo.InvariantCulture) > 3, $"the dataset should have full conversions: {string.Join(" ", plain.Total)}");
        var body = Funnel("6h", From, To, ViewBuyAttend);
        Assert.Equal(plain.Total, Steps((await FunnelAsync(server, body)).GetProperty("steps")));

        // eventId is a field of all three steps; source of event_viewed only.
        bool Filtered(int k, Generated e) => Plain(k, e) && e.EventId == "e1" && (k != 0 || e.Source == "search");
        var filtered = Expected(events, ViewBuyAttend, Filtered, 2);
        body["filters"] = new JsonObject { ["eventId"] = "e1", ["source"] = "search" };
        body["breakdown"] = "context.campaign.source";
        body["breakdownLimit"] = 2;
        var result = await FunnelAsync(server, body);
        Assert.Equal(filtered.Total, Steps(result.GetProperty("steps")));
        Assert.Equal(filtered.Groups, Groups(result));
        Assert.Equal(3, filtered.Groups.Count);

        string[] twoSteps = ["concierto.event_viewed", "concierto.event_attended"];
        var two = Expected(events, twoSteps, (k, e) => e.Type == twoSteps[k], 10);
        var twoBody = Funnel("6h", From, To, twoSteps);
        twoBody["breakdown"] = "context.campaign.source";
        var twoResult = await FunnelAsync(server, twoBody);
        Assert.Equal(two.Total, Steps(twoResult.GetProperty("steps")));
        Assert.Equal(two.Groups, Groups(twoResult));
    }
}
