using System.Globalization;
using Coliseum.Processing.Treasury;
using Coliseum.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Coliseum.Tests.Processing;

public sealed class TreasuryConsumerTests
{
    private const string BalanceColumns =
        "owner_type, owner_id, currency, spent_cents, earned_cents, tips_cents, refunded_cents, paid_out_cents, payout_requested_cents, " +
        "failed_cents, tickets_cents, subscriptions_cents, balance_cents, lines";

    private const string SubscriptionColumns = "user_id, plan, currency, amount_cents, billing_interval, status, started_at, cancelled_at, position";

    [Fact]
    public async Task Spending_earning_tips_refunds_and_payouts_add_up_per_user_and_per_artist()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(
            Event("treasury.money_spent", "u1", "2025-03-01T10:00:00Z", """ "amountCents":1500,"currency":"usd","reason":"ticket","eventId":"e1" """),
            Event("treasury.money_spent", "u1", "2025-03-01T11:00:00Z", """ "amountCents":500,"currency":"usd","reason":"tip","artistId":"a1" """),
            Event("treasury.tip_sent", "u1", "2025-03-01T11:00:00Z", """ "artistId":"a1","amountCents":500,"currency":"usd" """),
            Event("treasury.tip_sent", "u2", "2025-03-02T09:00:00Z", """ "artistId":"a1","amountCents":250,"currency":"usd" """),
            Event("treasury.money_earned", "ops", "2025-03-03T00:00:00Z", """ "amountCents":10000,"currency":"usd","source":"streams","artistId":"a1" """),
            Event("treasury.money_earned", "u2", "2025-03-03T12:00:00Z", """ "amountCents":300,"currency":"usd","source":"referral" """),
            // Logged in on a device seen before: the userId is the owner, not the anonymousId.
            """{"type":"treasury.refund_issued","userId":"u1","anonymousId":"anon-1","at":"2025-03-04T08:00:00Z","amountCents":700,"currency":"usd"}""",
            Event("concierto.ticket_refunded", "u1", "2025-03-04T09:00:00Z", """ "eventId":"e1","ticketId":"t1","amountCents":300,"currency":"usd" """),
            Event("treasury.payout_requested", "a1", "2025-03-05T00:00:00Z", """ "artistId":"a1","amountCents":8000,"currency":"usd" """),
            Event("treasury.payout_completed", "a1", "2025-03-06T00:00:00Z", """ "artistId":"a1","amountCents":6000,"currency":"usd" """),
            Event("treasury.payment_failed", "u2", "2025-03-06T10:00:00Z", """ "amountCents":999,"currency":"usd","reason":"card_declined" """),
            Event("concierto.ticket_purchased", "u1", "2025-03-01T09:59:00Z", """ "eventId":"e1","ticketId":"t1","amountCents":1500,"currency":"usd","quantity":2 """),
            """{"type":"treasury.money_spent","anonymousId":"anon-9","at":"2025-03-07T00:00:00Z","amountCents":50,"currency":"usd","reason":"merch"}""",
            Event("player.track_played", "u1", "2025-03-07T01:00:00Z", """ "trackId":"tr1","artistId":"a1","durationSeconds":200 """));

        Assert.Equal(14, await harness.RunAsync(new TreasuryConsumer(harness.Options)));

        // owner | currency | spent earned tips refunded paid_out payout_requested failed tickets subscriptions | balance | lines
        Assert.Equal(
        [
            "artist|a1|usd|0|10750|750|0|6000|8000|0|0|0|4750|5",
            "user|anon-9|usd|50|0|0|0|0|0|0|0|0|-50|1",
            "user|u1|usd|2000|0|0|1000|0|0|0|1500|0|-1000|5",
            "user|u2|usd|0|300|0|0|0|0|999|0|0|300|2",
        ], harness.Rows($"SELECT {BalanceColumns} FROM treasury_balances ORDER BY owner_type, owner_id, currency"));
        Assert.Equal(
        [
            $"artist|a1|{Ms("2025-03-01T11:00:00Z")}|{Ms("2025-03-06T00:00:00Z")}",
            $"user|u1|{Ms("2025-03-01T09:59:00Z")}|{Ms("2025-03-04T09:00:00Z")}",
        ], harness.Rows("SELECT owner_type, owner_id, first_at, last_at FROM treasury_balances WHERE owner_id IN ('a1', 'u1') ORDER BY owner_type"));

        // A tip credits the artist and names the tipper, without debiting them (their money_spent does that).
        Assert.Equal(
        [
            "1|user|u1|spent|1500|u1|e1|∅",
            "2|user|u1|spent|500|u1|∅|a1",
            "3|artist|a1|tip|500|u1|∅|a1",
            "4|artist|a1|tip|250|u2|∅|a1",
            "5|artist|a1|earned|10000|ops|∅|a1",
            "6|user|u2|earned|300|u2|∅|∅",
            "7|user|u1|refunded|700|u1|∅|∅",
            "8|user|u1|refunded|300|u1|e1|∅",
            "9|artist|a1|payout_requested|8000|a1|∅|a1",
            "10|artist|a1|paid_out|6000|a1|∅|a1",
            "11|user|u2|failed|999|u2|∅|∅",
            "12|user|u1|ticket|1500|u1|e1|∅",
            "13|user|anon-9|spent|50|anon-9|∅|∅",
        ], harness.Rows("SELECT position, owner_type, owner_id, kind, amount_cents, user_id, event_id, artist_id FROM treasury_ledger ORDER BY position, seq"));
        Assert.Empty(Unreconciled(harness));
        Assert.Equal(14, harness.Scalar("SELECT position FROM consumer_cursors WHERE name = 'treasury'"));
        Assert.Equal(0, harness.Scalar("SELECT COUNT(*) FROM consumer_dead_letters"));
    }

    [Fact]
    public async Task Two_currencies_of_one_owner_are_kept_apart()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(
            Event("treasury.money_spent", "u1", "2025-04-01T10:00:00Z", """ "amountCents":1000,"currency":"usd","reason":"merch" """),
            Event("treasury.money_spent", "u1", "2025-04-02T10:00:00Z", """ "amountCents":2000,"currency":"eur","reason":"merch" """),
            Event("treasury.refund_issued", "u1", "2025-04-03T10:00:00Z", """ "amountCents":300,"currency":"eur" """),
            Event("treasury.tip_sent", "u1", "2025-04-04T10:00:00Z", """ "artistId":"a1","amountCents":100,"currency":"usd" """),
            Event("treasury.tip_sent", "u1", "2025-04-05T10:00:00Z", """ "artistId":"a1","amountCents":200,"currency":"EUR" """),
            Event("treasury.payout_completed", "a1", "2025-04-06T10:00:00Z", """ "artistId":"a1","amountCents":150,"currency":"eur" """));

        await harness.RunAsync(new TreasuryConsumer(harness.Options));

        Assert.Equal(
        [
            "artist|a1|eur|0|200|200|0|150|0|0|0|0|50|2",
            "artist|a1|usd|0|100|100|0|0|0|0|0|0|100|1",
            "user|u1|eur|2000|0|0|300|0|0|0|0|0|-1700|2",
            "user|u1|usd|1000|0|0|0|0|0|0|0|0|-1000|1",
        ], harness.Rows($"SELECT {BalanceColumns} FROM treasury_balances ORDER BY owner_type, owner_id, currency"));
        Assert.Equal(
        [
            $"artist|a1|eur|{Ms("2025-04-05T10:00:00Z")}|{Ms("2025-04-06T10:00:00Z")}",
            $"artist|a1|usd|{Ms("2025-04-04T10:00:00Z")}|{Ms("2025-04-04T10:00:00Z")}",
        ], harness.Rows("SELECT owner_type, owner_id, currency, first_at, last_at FROM treasury_balances WHERE owner_type = 'artist' ORDER BY currency"));
        Assert.Equal(["eur|4", "usd|2"], harness.Rows("SELECT currency, COUNT(*) FROM treasury_ledger GROUP BY currency ORDER BY currency"));
        Assert.Empty(Unreconciled(harness));
    }

    [Fact]
    public async Task Batches_of_one_give_the_same_tables_as_one_batch_of_a_thousand()
    {
        await using var one = await ProcessorHarness.CreateAsync();
        await using var thousand = await ProcessorHarness.CreateAsync();
        await one.AppendAsync(MixedLog);
        await thousand.AppendAsync(MixedLog);

        Assert.Equal(MixedLog.Length, await one.RunAsync(new TreasuryConsumer(one.Options), batchSize: 1));
        Assert.Equal(MixedLog.Length, await thousand.RunAsync(new TreasuryConsumer(thousand.Options), batchSize: 1000));

        var expected = Snapshot(thousand);
        Assert.Equal(expected, Snapshot(one));
        Assert.Equal(MixedLogLines + 1 + BalancesOfMixedLog + 1 + SubscriptionsOfMixedLog, expected.Count);
        Assert.Empty(Unreconciled(one));
    }

    [Fact]
    public async Task A_replay_gives_identical_tables()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(MixedLog);
        var consumer = new TreasuryConsumer(harness.Options);
        await harness.RunAsync(consumer, batchSize: 5);
        var before = Snapshot(harness);
        Assert.Equal(MixedLogLines + 1 + BalancesOfMixedLog + 1 + SubscriptionsOfMixedLog, before.Count);

        var runner = harness.Runner(consumer);
        await runner.ResetAsync(CancellationToken.None);
        Assert.Equal(["--", "--"], Snapshot(harness));
        Assert.Equal(0, harness.Scalar("SELECT position FROM consumer_cursors WHERE name = 'treasury'"));
        Assert.Equal(MixedLog.Length, await runner.CatchUpAsync(1000, null, CancellationToken.None));
        await runner.ReleaseAsync(CancellationToken.None);

        Assert.Equal(before, Snapshot(harness));
        Assert.Equal(0, harness.Scalar("SELECT COUNT(*) FROM consumer_dead_letters"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1000)]
    public async Task Subscriptions_are_started_and_cancelled_in_log_order(int batchSize)
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(
            Event("treasury.subscription_started", "u1", "2025-05-01T00:00:00Z", """ "plan":"premium","amountCents":999,"currency":"usd","interval":"month" """),
            Event("treasury.subscription_cancelled", "u1", "2025-05-10T00:00:00Z", """ "plan":"premium","reason":"too_expensive" """),
            Event("treasury.subscription_started", "u1", "2025-05-11T00:00:00Z", """ "plan":"family","amountCents":1499,"currency":"usd","interval":"month" """),
            Event("treasury.subscription_started", "u2", "2025-05-01T00:00:00Z", """ "plan":"premium","amountCents":9999,"currency":"eur","interval":"year" """),
            Event("treasury.subscription_cancelled", "u2", "2025-05-02T00:00:00Z", """ "plan":"premium" """),
            Event("treasury.subscription_started", "u2", "2025-06-01T00:00:00Z", """ "plan":"premium","amountCents":10999,"currency":"eur","interval":"year" """),
            Event("treasury.subscription_cancelled", "u3", "2025-06-02T00:00:00Z", """ "plan":"premium" """),
            Event("treasury.subscription_cancelled", "u1", "2025-06-03T00:00:00Z", """ "plan":"premium" """));

        await harness.RunAsync(new TreasuryConsumer(harness.Options), batchSize);

        Assert.Equal(
        [
            $"u1|family|usd|1499|month|active|{Ms("2025-05-11T00:00:00Z")}|∅|3",
            $"u1|premium|usd|999|month|cancelled|{Ms("2025-05-01T00:00:00Z")}|{Ms("2025-06-03T00:00:00Z")}|8",
            $"u2|premium|eur|10999|year|active|{Ms("2025-06-01T00:00:00Z")}|∅|6",
            $"u3|premium|∅|∅|∅|cancelled|∅|{Ms("2025-06-02T00:00:00Z")}|7",
        ], harness.Rows($"SELECT {SubscriptionColumns} FROM treasury_subscriptions ORDER BY user_id, plan"));
        // The starts are informational lines: no spending, no balance.
        Assert.Equal(
        [
            "user|u1|usd|0|0|0|0|0|0|0|0|2498|0|2",
            "user|u2|eur|0|0|0|0|0|0|0|0|20998|0|2",
        ], harness.Rows($"SELECT {BalanceColumns} FROM treasury_balances ORDER BY owner_type, owner_id, currency"));
    }

    [Theory]
    [InlineData("""{"amountCents":"lots","currency":"usd","reason":"tip"}""")]
    [InlineData("""{"amountCents":-500,"currency":"usd","reason":"tip"}""")]
    [InlineData("""{"amountCents":0,"currency":"usd","reason":"tip"}""")]
    [InlineData("""{"amountCents":12.5,"currency":"usd","reason":"tip"}""")]
    [InlineData("""{"currency":"usd","reason":"tip"}""")]
    [InlineData("""{"amountCents":500,"reason":"tip"}""")]
    [InlineData("""{"amountCents":500,"currency":"","reason":"tip"}""")]
    [InlineData("""{"amountCents":500,"currency":"USD","reason":"tip"}""")]
    [InlineData("""{"amountCents":500,"currency":7,"reason":"tip"}""")]
#if POSTGRES_BACKEND
    [InlineData("""["jsonb refuses text that is not JSON, so the broken row is JSON that is not an object"]""")]
#else
    [InlineData("""not json""")]
#endif
    public async Task A_poison_money_event_is_dead_lettered_and_the_events_after_it_still_apply(string metadata)
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(
            Event("treasury.money_spent", "u1", "2025-07-01T00:00:00Z", """ "amountCents":100,"currency":"usd","reason":"merch" """),
            Event("treasury.money_spent", "u1", "2025-07-02T00:00:00Z", """ "amountCents":200,"currency":"usd","reason":"tip" """),
            Event("treasury.money_spent", "u1", "2025-07-03T00:00:00Z", """ "amountCents":400,"currency":"usd","reason":"merch" """),
            Event("treasury.tip_sent", "u1", "2025-07-04T00:00:00Z", """ "artistId":"a1","amountCents":800,"currency":"usd" """));
        Execute(harness, $"UPDATE passport_log SET metadata = '{metadata}' WHERE position = 2");

        Assert.Equal(4, await harness.RunAsync(new TreasuryConsumer(harness.Options)));

        Assert.Equal(["treasury|2|treasury.money_spent"], harness.Rows("SELECT consumer, position, event_type FROM consumer_dead_letters"));
        Assert.Equal(["1|spent|100", "3|spent|400", "4|tip|800"], harness.Rows("SELECT position, kind, amount_cents FROM treasury_ledger ORDER BY position"));
        Assert.Equal(["artist|a1|800", "user|u1|-500"], harness.Rows("SELECT owner_type, owner_id, balance_cents FROM treasury_balances ORDER BY owner_type, owner_id"));
        Assert.Equal(4, harness.Scalar("SELECT position FROM consumer_cursors WHERE name = 'treasury'"));
    }

    [Fact]
    public async Task Other_event_types_are_skipped_even_when_their_metadata_is_broken()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(
            Event("player.track_played", "u1", "2025-08-01T00:00:00Z", """ "trackId":"tr1","artistId":"a1","durationSeconds":200 """),
            Event("coliseum.vote_cast", "u1", "2025-08-01T00:01:00Z", """ "artistId":"a1","eventId":"e1","channel":"app","weight":5 """),
            Event("treasury.money_spent", "u1", "2025-08-01T00:02:00Z", """ "amountCents":100,"currency":"usd","reason":"merch" """));
        // jsonb refuses text that is not JSON: on PostgreSQL the broken row is JSON that is not an object.
        Execute(harness, TestBackend.Postgres
            ? "UPDATE passport_log SET metadata = '[\"not an object\"]' WHERE position = 1"
            : "UPDATE passport_log SET metadata = 'not json' WHERE position = 1");

        Assert.Equal(3, await harness.RunAsync(new TreasuryConsumer(harness.Options)));

        Assert.Equal(["3|user|u1|spent|100"], harness.Rows("SELECT position, owner_type, owner_id, kind, amount_cents FROM treasury_ledger"));
        Assert.Equal(0, harness.Scalar("SELECT COUNT(*) FROM consumer_dead_letters"));
        Assert.Equal(3, harness.Scalar("SELECT position FROM consumer_cursors WHERE name = 'treasury'"));
    }

    /// <summary>A log touching every kind of line, two currencies, repeated owners and subscriptions changing across batch boundaries.</summary>
    private static readonly string[] MixedLog =
    [
        Event("treasury.subscription_cancelled", "u3", "2025-02-01T00:00:00Z", """ "plan":"premium" """),
        Event("treasury.money_spent", "u1", "2025-02-01T10:00:00Z", """ "amountCents":1500,"currency":"usd","reason":"ticket" """),
        Event("concierto.ticket_purchased", "u1", "2025-02-01T09:00:00Z", """ "eventId":"e1","ticketId":"t1","amountCents":1500,"currency":"usd" """),
        Event("treasury.tip_sent", "u1", "2025-02-02T10:00:00Z", """ "artistId":"a1","amountCents":300,"currency":"usd" """),
        Event("treasury.money_spent", "u1", "2025-02-02T10:00:00Z", """ "amountCents":300,"currency":"usd","reason":"tip","artistId":"a1" """),
        Event("player.track_played", "u2", "2025-02-02T11:00:00Z", """ "trackId":"tr1","artistId":"a1","durationSeconds":200 """),
        Event("treasury.money_spent", "u2", "2025-02-03T10:00:00Z", """ "amountCents":4200,"currency":"eur","reason":"merch" """),
        Event("treasury.subscription_started", "u2", "2025-02-03T11:00:00Z", """ "plan":"premium","amountCents":999,"currency":"eur","interval":"month" """),
        Event("treasury.money_earned", "ops", "2025-01-31T00:00:00Z", """ "amountCents":7000,"currency":"usd","source":"streams","artistId":"a1" """),
        Event("treasury.money_earned", "ops", "2025-02-04T00:00:00Z", """ "amountCents":900,"currency":"eur","source":"streams","artistId":"a1" """),
        Event("treasury.subscription_cancelled", "u2", "2025-02-05T00:00:00Z", """ "plan":"premium" """),
        Event("treasury.refund_issued", "u2", "2025-02-05T01:00:00Z", """ "amountCents":1200,"currency":"eur" """),
        Event("concierto.ticket_refunded", "u1", "2025-02-05T02:00:00Z", """ "eventId":"e1","ticketId":"t1","amountCents":1500,"currency":"usd" """),
        Event("treasury.payout_requested", "a1", "2025-02-06T00:00:00Z", """ "artistId":"a1","amountCents":5000,"currency":"usd" """),
        Event("treasury.payment_failed", "u2", "2025-02-06T01:00:00Z", """ "amountCents":999,"currency":"eur" """),
        Event("treasury.payout_completed", "a1", "2025-02-07T00:00:00Z", """ "artistId":"a1","amountCents":5000,"currency":"usd" """),
        Event("treasury.subscription_started", "u2", "2025-02-08T00:00:00Z", """ "plan":"premium","amountCents":9900,"currency":"eur","interval":"year" """),
        Event("treasury.subscription_started", "u3", "2025-02-09T00:00:00Z", """ "plan":"premium","amountCents":999,"currency":"usd","interval":"month" """),
        Event("treasury.subscription_cancelled", "u3", "2025-02-10T00:00:00Z", """ "plan":"premium" """),
        Event("treasury.tip_sent", "u2", "2025-01-15T00:00:00Z", """ "artistId":"a2","amountCents":100,"currency":"eur" """),
    ];

    // Lines: every event above but track_played and the three cancellations. Balances: a1 usd/eur, a2 eur, u1 usd, u2 eur, u3 usd.
    private const int MixedLogLines = 16;
    private const int BalancesOfMixedLog = 6;
    private const int SubscriptionsOfMixedLog = 2;

    private static string Event(string type, string user, string at, string fields) =>
        $$"""{"type":"{{type}}","userId":"{{user}}","at":"{{at}}",{{fields.Trim()}}}""";

    /// <summary>Writes to the database by hand, as an operator or a bug could (to corrupt an entry behind the validator's back).</summary>
    private static void Execute(ProcessorHarness harness, string sql) => Assert.Equal(1, Sql.Execute(harness.DatabasePath, sql));

    private static long Ms(string instant) => DateTimeOffset.Parse(instant, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    /// <summary>All three tables, each in key order, separated by "--".</summary>
    private static List<string> Snapshot(ProcessorHarness harness) =>
    [
        .. harness.Rows("SELECT * FROM treasury_ledger ORDER BY position, seq"),
        "--",
        .. harness.Rows("SELECT * FROM treasury_balances ORDER BY owner_type, owner_id, currency"),
        "--",
        .. harness.Rows("SELECT * FROM treasury_subscriptions ORDER BY user_id, plan"),
    ];

    /// <summary>Balance rows that disagree with their own ledger lines (same owner, same currency only), or lines without a balance row.</summary>
    private static List<string> Unreconciled(ProcessorHarness harness) => harness.Rows("""
        SELECT b.owner_type, b.owner_id, b.currency FROM treasury_balances b
        LEFT JOIN (
            SELECT owner_type, owner_id, currency,
                SUM(CASE WHEN kind = 'spent' THEN amount_cents ELSE 0 END) AS spent,
                SUM(CASE WHEN kind IN ('earned', 'tip') THEN amount_cents ELSE 0 END) AS earned,
                SUM(CASE WHEN kind = 'tip' THEN amount_cents ELSE 0 END) AS tips,
                SUM(CASE WHEN kind = 'refunded' THEN amount_cents ELSE 0 END) AS refunded,
                SUM(CASE WHEN kind = 'paid_out' THEN amount_cents ELSE 0 END) AS paid_out,
                SUM(CASE WHEN kind = 'payout_requested' THEN amount_cents ELSE 0 END) AS payout_requested,
                SUM(CASE WHEN kind = 'failed' THEN amount_cents ELSE 0 END) AS failed,
                SUM(CASE WHEN kind = 'ticket' THEN amount_cents ELSE 0 END) AS tickets,
                SUM(CASE WHEN kind = 'subscription' THEN amount_cents ELSE 0 END) AS subscriptions,
                MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at, COUNT(*) AS lines
            FROM treasury_ledger GROUP BY owner_type, owner_id, currency
        ) l ON l.owner_type = b.owner_type AND l.owner_id = b.owner_id AND l.currency = b.currency
        WHERE l.lines IS NULL OR b.spent_cents <> l.spent OR b.earned_cents <> l.earned OR b.tips_cents <> l.tips
            OR b.refunded_cents <> l.refunded OR b.paid_out_cents <> l.paid_out OR b.payout_requested_cents <> l.payout_requested
            OR b.failed_cents <> l.failed OR b.tickets_cents <> l.tickets OR b.subscriptions_cents <> l.subscriptions
            OR b.balance_cents <> l.earned + l.refunded - l.spent - l.paid_out
            OR b.first_at <> l.first_at OR b.last_at <> l.last_at OR b.lines <> l.lines
        UNION ALL
        SELECT DISTINCT l.owner_type, l.owner_id, l.currency FROM treasury_ledger l
        WHERE NOT EXISTS (SELECT 1 FROM treasury_balances b WHERE b.owner_type = l.owner_type AND b.owner_id = l.owner_id AND b.currency = l.currency)
        """);
}
