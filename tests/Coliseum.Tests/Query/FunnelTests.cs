using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;
using static Coliseum.Tests.Query.FunnelClient;

namespace Coliseum.Tests.Query;

/// <summary>The funnel's semantics on small hand-built logs, over real HTTP.</summary>
public sealed class FunnelTests
{
    private static readonly DateTimeOffset From = T0.AddDays(-1);
    private static readonly DateTimeOffset To = T0.AddDays(1);

    [Fact]
    public async Task Steps_count_only_when_done_in_order_and_equal_timestamps_are_in_order()
    {
        await using var server = await TestServer.StartAsync();
        await SendAsync(server,
        [
            View("in-order", T0), Buy("in-order", T0.AddMinutes(10)), Attend("in-order", T0.AddMinutes(40)),
            // Bought before viewing: the purchase is not step 2; the attendance cannot be step 3 without it.
            Buy("reversed", T0), View("reversed", T0.AddMinutes(5)), Attend("reversed", T0.AddMinutes(6)),
            View("skipped", T0), Attend("skipped", T0.AddMinutes(1)),
            // The same millisecond, the purchase logged first: still in order.
            Buy("same-ms", T0.AddMinutes(3)), View("same-ms", T0.AddMinutes(3)),
            // Did nothing of step 1: not in the funnel at all.
            Buy("no-view", T0), Attend("no-view", T0.AddMinutes(1)),
        ]);
        var result = await FunnelAsync(server, Funnel("7d", From, To, ViewBuyAttend));
        // Step 2: in-order (10 min) and same-ms (0 s): median 300 s. Step 3: in-order only, 30 min after the purchase.
        Assert.Equal(["4|1|-", "2|0.5|300", "1|0.25|1800"], Steps(result.GetProperty("steps")));
        Assert.Equal([null, 0.5, 0.5], result.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("conversionFromPrevious").ValueKind == System.Text.Json.JsonValueKind.Null ? (double?)null : s.GetProperty("conversionFromPrevious").GetDouble()).ToArray());
        Assert.Equal(ViewBuyAttend, result.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("type").GetString()!).ToArray());
        Assert.Equal(server.LogCount, result.GetProperty("logPosition").GetInt64());
        Assert.Equal("7d", result.GetProperty("within").GetString());
        Assert.False(result.TryGetProperty("breakdown", out _));
    }

    [Fact]
    public async Task A_step_exactly_at_the_window_counts_and_one_millisecond_later_does_not()
    {
        await using var server = await TestServer.StartAsync();
        await SendAsync(server,
        [
            View("at-limit", T0), Buy("at-limit", T0.AddHours(1)),
            View("over", T0), Buy("over", T0.AddHours(1).AddMilliseconds(1)),
            // Step 3 is measured from the step-1 event too, not from step 2.
            View("third-late", T0), Buy("third-late", T0.AddMinutes(30)), Attend("third-late", T0.AddHours(1).AddMilliseconds(1)),
        ]);
        var result = await FunnelAsync(server, Funnel("1h", From, To, ViewBuyAttend));
        Assert.Equal(["3|1|-", "2|0.666667|2700", "0|0|-"], Steps(result.GetProperty("steps")));
        var minutes = await FunnelAsync(server, Funnel("60m", From, To, ViewBuyAttend));
        Assert.Equal(Steps(result.GetProperty("steps")), Steps(minutes.GetProperty("steps")));
    }

    [Fact]
    public async Task A_later_step_one_event_may_start_the_attempt_that_converts_and_a_user_counts_once()
    {
        await using var server = await TestServer.StartAsync();
        await SendAsync(server,
        [
            // The first view is too early for the purchase; the second one starts the attempt (30 min).
            View("late-start", T0), View("late-start", T0.AddHours(2)), Buy("late-start", T0.AddHours(2).AddMinutes(30)),
            // Converts twice: still one user per step; the best attempt is the earliest of the deepest (10 min).
            View("twice", T0), Buy("twice", T0.AddMinutes(10)), View("twice", T0.AddHours(3)), Buy("twice", T0.AddHours(3).AddMinutes(50)),
            // A deeper attempt wins over an earlier, shallower one.
            View("deeper", T0), Buy("deeper", T0.AddMinutes(20)), View("deeper", T0.AddHours(5)), Buy("deeper", T0.AddHours(5).AddMinutes(1)), Attend("deeper", T0.AddHours(5).AddMinutes(2)),
        ]);
        var result = await FunnelAsync(server, Funnel("1h", From, To, ViewBuyAttend));
        // Step 2 gaps: 30 min, 10 min, 1 min (from the deeper attempt) -> median 600 s. Step 3: 60 s.
        Assert.Equal(["3|1|-", "3|1|600", "1|0.333333|60"], Steps(result.GetProperty("steps")));
    }

    [Fact]
    public async Task Step_one_must_fall_in_the_range_and_later_steps_may_follow_it_past_the_end()
    {
        await using var server = await TestServer.StartAsync();
        await SendAsync(server,
        [
            View("before", From.AddMilliseconds(-1)), Buy("before", From.AddMinutes(1)),
            View("first-ms", From), Buy("first-ms", From.AddMinutes(1)),
            View("last-ms", To.AddMilliseconds(-1)), Buy("last-ms", To.AddHours(2)),
            View("at-end", To), Buy("at-end", To.AddMinutes(1)),
        ]);
        var result = await FunnelAsync(server, Funnel("1d", From, To, "concierto.event_viewed", "concierto.ticket_purchased"));
        Assert.Equal(["2|1|-", "2|1|3630"], Steps(result.GetProperty("steps")));
    }

    [Fact]
    public async Task A_filter_applies_to_every_step_whose_type_has_the_field()
    {
        await using var server = await TestServer.StartAsync();
        await SendAsync(server,
        [
            View("same-event", T0, "e1"), Buy("same-event", T0.AddMinutes(1), "e1"),
            View("other-purchase", T0, "e1"), Buy("other-purchase", T0.AddMinutes(1), "e2"),
            View("other-view", T0, "e2", source: "home_feed"), Buy("other-view", T0.AddMinutes(1), "e1"),
            View("browsed", T0, "e1", source: "home_feed"), Buy("browsed", T0.AddMinutes(2), "e1"),
        ]);
        var byEvent = Funnel("1d", From, To, "concierto.event_viewed", "concierto.ticket_purchased");
        byEvent["filters"] = new JsonObject { ["eventId"] = "e1" };
        Assert.Equal(["3|1|-", "2|0.666667|90"], Steps((await FunnelAsync(server, byEvent)).GetProperty("steps")));

        // source is a field of event_viewed only: purchases of any event count.
        var bySource = Funnel("1d", From, To, "concierto.event_viewed", "concierto.ticket_purchased");
        bySource["filters"] = new JsonObject { ["source"] = "search" };
        Assert.Equal(["2|1|-", "2|1|60"], Steps((await FunnelAsync(server, bySource)).GetProperty("steps")));

        var both = Funnel("1d", From, To, "concierto.event_viewed", "concierto.ticket_purchased");
        both["filters"] = new JsonObject { ["source"] = "home_feed", ["eventId"] = "e1" };
        Assert.Equal(["1|1|-", "1|1|120"], Steps((await FunnelAsync(server, both)).GetProperty("steps")));
    }

    [Fact]
    public async Task Breakdown_groups_users_by_their_best_attempts_step_one_event_and_merges_the_tail_as_other()
    {
        await using var server = await TestServer.StartAsync();
        await SendAsync(server,
        [
            View("n1", T0, campaign: "newsletter"), Buy("n1", T0.AddMinutes(1)),
            View("n2", T0, campaign: "newsletter"),
            View("n3", T0, campaign: "newsletter"),
            // The instagram view converts; the earlier newsletter view does not (too early): instagram.
            View("i1", T0.AddDays(-0.5), campaign: "newsletter"), View("i1", T0, campaign: "instagram"), Buy("i1", T0.AddMinutes(4)),
            View("i2", T0, campaign: "instagram"),
            View("t1", T0, campaign: "tiktok"), Buy("t1", T0.AddMinutes(9)),
            View("none", T0), Buy("none", T0.AddMinutes(2)),
        ]);
        var body = Funnel("1h", From, To, "concierto.event_viewed", "concierto.ticket_purchased");
        body["breakdown"] = "context.campaign.source";
        body["breakdownLimit"] = 2;
        var result = await FunnelAsync(server, body);
        Assert.Equal(["7|1|-", "4|0.571429|180"], Steps(result.GetProperty("steps")));
        var groups = result.GetProperty("breakdown").EnumerateArray()
            .Select(g => g.GetProperty("value").GetString() + ":" + string.Join(",", Steps(g.GetProperty("steps")))).ToArray();
        // Ordered by step-1 users, ties by value; (none) and tiktok are merged as (other).
        Assert.Equal(["newsletter:3|1|-,1|0.333333|60", "instagram:2|1|-,1|0.5|240", "(other):2|1|-,2|1|330"], groups);

        var byField = Funnel("1h", From, To, "concierto.event_viewed", "concierto.ticket_purchased");
        byField["breakdown"] = "source";
        var single = await FunnelAsync(server, byField);
        Assert.Equal(["search:7|1|-,4|0.571429|180"], single.GetProperty("breakdown").EnumerateArray()
            .Select(g => g.GetProperty("value").GetString() + ":" + string.Join(",", Steps(g.GetProperty("steps")))).ToArray());
    }

    [Fact]
    public async Task A_funnel_of_a_type_repeated_uses_a_different_event_for_each_step()
    {
        await using var server = await TestServer.StartAsync();
        await SendAsync(server,
        [
            View("once", T0),
            View("twice", T0), View("twice", T0.AddMinutes(5)),
            View("same-ms", T0), View("same-ms", T0),
        ]);
        var result = await FunnelAsync(server, Funnel("1h", From, To, "concierto.event_viewed", "concierto.event_viewed"));
        Assert.Equal(["3|1|-", "2|0.666667|150"], Steps(result.GetProperty("steps")));
    }
}
