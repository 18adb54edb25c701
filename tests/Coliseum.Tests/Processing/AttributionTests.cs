using System.Text.Json.Nodes;
using Coliseum.Processing;
using Coliseum.Processing.Coliseum;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Processing;

/// <summary>The coliseum consumer's conversion attribution: touchpoints, first and last touch, lookback, (direct), replay.</summary>
public sealed class AttributionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private static string E(string type, string user, DateTimeOffset at, JsonObject? fields = null, JsonObject? context = null)
    {
        var e = fields ?? [];
        e["type"] = type;
        e["userId"] = user;
        e["at"] = at.ToString("O");
        if (context is not null)
        {
            e["context"] = context;
        }
        return e.ToJsonString();
    }

    private static string Session(string user, DateTimeOffset at, string source, string? medium = null, string? campaign = null) =>
        E("passport.session_started", user, at, new() { ["platform"] = "web", ["utm"] = new JsonObject { ["source"] = source, ["medium"] = medium, ["campaign"] = campaign } });

    private static string Ticket(string user, DateTimeOffset at, long cents = 4500, string currency = "usd") =>
        E("concierto.ticket_purchased", user, at, new() { ["eventId"] = "e1", ["ticketId"] = $"t-{user}-{at.ToUnixTimeMilliseconds()}", ["amountCents"] = cents, ["currency"] = currency });

    private const string Query = """
        SELECT conversion_type || '|' || user_id || '|' || model || '|' || source || '|' || COALESCE(medium, '∅') || '|' || COALESCE(campaign, '∅') || '|' || COALESCE(CAST(value_cents AS text), '∅') || '|' || COALESCE(currency, '∅')
        FROM conversion_attributions ORDER BY position, model
        """;

    private static async Task<List<string>> AttributeAsync(ProcessingOptions? options, params string[] events)
    {
        await using var harness = await ProcessorHarness.CreateAsync(options);
        await harness.AppendAsync(events);
        await harness.RunAsync(new ColiseumConsumer(harness.Options));
        return harness.Rows(Query);
    }

    [Fact]
    public async Task A_conversion_is_credited_to_the_first_and_the_last_touchpoint()
    {
        var rows = await AttributeAsync(null,
            Session("fan", T0.AddDays(-3), "newsletter", "email", "autumn"),
            E("passport.page_viewed", "fan", T0.AddDays(-2), new() { ["path"] = "/e/1", ["referrer"] = "https://www.Google.com/search?q=x" }),
            E("social.content_shared", "fan", T0.AddDays(-1), new() { ["entityType"] = "event", ["entityId"] = "e1", ["channel"] = "whatsapp" }),
            Session("other-fan", T0.AddHours(-1), "tiktok"),
            Ticket("fan", T0));
        Assert.Equal(
        [
            "concierto.ticket_purchased|fan|first_touch|newsletter|email|autumn|4500|usd",
            "concierto.ticket_purchased|fan|last_touch|whatsapp|share|∅|4500|usd",
        ], rows);
    }

    [Fact]
    public async Task Each_kind_of_touchpoint_is_recorded_with_its_source_medium_and_campaign()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(
            Session("a", T0, "newsletter", "email", "autumn"),
            E("passport.session_started", "b", T0, new() { ["platform"] = "ios" }, new JsonObject { ["campaign"] = new JsonObject { ["source"] = "instagram", ["medium"] = "social", ["name"] = "launch" } }),
            E("passport.session_started", "c", T0, new() { ["platform"] = "web", ["referrer"] = "https://news.example.org/story" }),
            E("passport.session_started", "d", T0, new() { ["platform"] = "web" }),
            E("passport.page_viewed", "e", T0, new() { ["path"] = "/" }, new JsonObject { ["page"] = new JsonObject { ["referrer"] = "http://blog.example.com/x" } }),
            E("passport.page_viewed", "f", T0, new() { ["path"] = "/" }),
            E("social.invite_accepted", "g", T0, new() { ["inviteId"] = "i1", ["inviterUserId"] = "a" }),
            E("passport.signed_up", "h", T0, new() { ["method"] = "email", ["utm"] = new JsonObject { ["source"] = "podcast" } }));
        await harness.RunAsync(new ColiseumConsumer(harness.Options));
        Assert.Equal(
        [
            "a|passport.session_started|newsletter|email|autumn",
            "b|passport.session_started|instagram|social|launch",
            "c|passport.session_started|news.example.org|referral|∅",
            "e|passport.page_viewed|blog.example.com|referral|∅",
            "g|social.invite_accepted|invite|referral|∅",
            "h|passport.signed_up|podcast|∅|∅",
        ], harness.Rows("SELECT user_id, touch_type, source, medium, campaign FROM coliseum_touchpoints ORDER BY user_id"));
        // The sign-up carried its own campaign: it is credited to it, and it has no value.
        Assert.Equal(["passport.signed_up|h|first_touch|podcast|∅|∅|∅|∅", "passport.signed_up|h|last_touch|podcast|∅|∅|∅|∅"], harness.Rows(Query));
    }

    [Fact]
    public async Task The_lookback_includes_a_touchpoint_exactly_at_its_limit_and_not_one_millisecond_earlier()
    {
        var options = new ProcessingOptions { AttributionLookbackDays = 7 };
        var rows = await AttributeAsync(options,
            Session("old", T0.AddDays(-7).AddMilliseconds(-1), "too-old"),
            Session("old", T0.AddDays(-7), "at-limit"),
            Session("late", T0.AddMilliseconds(1), "after-the-conversion"),
            Ticket("old", T0),
            Ticket("late", T0));
        Assert.Equal(
        [
            "concierto.ticket_purchased|old|first_touch|at-limit|∅|∅|4500|usd",
            "concierto.ticket_purchased|old|last_touch|at-limit|∅|∅|4500|usd",
            "concierto.ticket_purchased|late|first_touch|(direct)|∅|∅|4500|usd",
            "concierto.ticket_purchased|late|last_touch|(direct)|∅|∅|4500|usd",
        ], rows);
    }

    [Fact]
    public async Task Conversions_keep_their_own_value_and_currency_and_a_touchpoint_logged_after_a_conversion_is_not_credited_to_it()
    {
        var rows = await AttributeAsync(null,
            E("treasury.subscription_started", "fan", T0, new() { ["plan"] = "plus", ["amountCents"] = 999, ["currency"] = "eur", ["interval"] = "month" }),
            // Arrives later in the log although it happened before: the subscription was already credited.
            Session("fan", T0.AddHours(-1), "late-arrival"),
            Ticket("fan", T0.AddHours(1), 12_000, "mxn"));
        Assert.Equal(
        [
            "treasury.subscription_started|fan|first_touch|(direct)|∅|∅|999|eur",
            "treasury.subscription_started|fan|last_touch|(direct)|∅|∅|999|eur",
            "concierto.ticket_purchased|fan|first_touch|late-arrival|∅|∅|12000|mxn",
            "concierto.ticket_purchased|fan|last_touch|late-arrival|∅|∅|12000|mxn",
        ], rows);
    }

    [Fact]
    public async Task Attribution_is_the_same_whatever_the_batch_size_and_after_a_replay()
    {
        var random = new Random(5);
        var events = new List<string>();
        string[] sources = ["newsletter", "instagram", "tiktok", "radio"];
        for (var i = 0; i < 600; i++)
        {
            var user = $"u{random.Next(40)}";
            var at = T0.AddMinutes(random.Next(0, 60 * 24 * 50));
            events.Add(random.Next(4) switch
            {
                0 => Session(user, at, sources[random.Next(sources.Length)], "m", random.Next(2) == 0 ? "c1" : null),
                1 => E("passport.page_viewed", user, at, new() { ["path"] = "/", ["referrer"] = $"https://site{random.Next(3)}.example/" }),
                2 => Ticket(user, at, 100 * random.Next(1, 90), random.Next(2) == 0 ? "usd" : "eur"),
                _ => E("passport.signed_up", user, at, new() { ["method"] = "email" }),
            });
        }
        await using var small = await ProcessorHarness.CreateAsync();
        await using var large = await ProcessorHarness.CreateAsync();
        await small.AppendAsync([.. events]);
        await large.AppendAsync([.. events]);
        await small.RunAsync(new ColiseumConsumer(small.Options), batchSize: 7);
        await large.RunAsync(new ColiseumConsumer(large.Options), batchSize: 1000);
        var expected = Aggregates.Snapshot(large.DatabasePath);
        Assert.True(expected["conversion_attributions"].Count > 300);
        Assert.Contains(expected["conversion_attributions"], r => r.Contains("|(direct)|", StringComparison.Ordinal));
        Assert.Contains(expected["conversion_attributions"], r => r.Contains("|newsletter|", StringComparison.Ordinal));
        Aggregates.Equal(expected, Aggregates.Snapshot(small.DatabasePath));

        var runner = small.Runner(new ColiseumConsumer(small.Options));
        await runner.ResetAsync(CancellationToken.None);
        Assert.Equal(0, small.Scalar("SELECT COUNT(*) FROM conversion_attributions") + small.Scalar("SELECT COUNT(*) FROM coliseum_touchpoints"));
        await runner.CatchUpAsync(50, null, CancellationToken.None);
        await runner.ReleaseAsync(CancellationToken.None);
        Aggregates.Equal(expected, Aggregates.Snapshot(small.DatabasePath));
    }
}
