using Coliseum.Processing;

namespace Coliseum.Query;

/// <summary>
/// Today's live totals for the whole platform (day rollups in the processing time zone), kept until the
/// coliseum cursor moves, plus the ingest rate seen from the log head.
/// </summary>
public sealed class Counters(Processor processor, ChangeFeed changes, TimeProvider time)
{
    private static readonly string[] Metrics =
    [
        "player.track_played", Metric.ListeningSeconds, "concierto.event_attended", Metric.Votes,
        "treasury.money_spent", "social.artist_followed", "passport.signed_up",
    ];

    private readonly TimeBuckets _buckets = TimeBuckets.For(processor.Options.TimeZone);
    private Cached? _cached;

    public async Task<CountersView> GetAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var day = _buckets.DayStart(now);
        var epoch = changes.Epoch;
        var cursor = changes.Cursor;
        // A reference swapped whole, so concurrent readers never see half of an old entry and half of a new one.
        var cached = Volatile.Read(ref _cached);
        Task<CounterTotals> totals;
        if (cached is not null && cached.Epoch == epoch && cached.Cursor == cursor && cached.Day == day && !cached.Totals.IsFaulted)
        {
            totals = cached.Totals;
        }
        else
        {
            totals = LoadAsync(day);
            Volatile.Write(ref _cached, new Cached(epoch, cursor, day, totals));
        }
        var t = await totals.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new CountersView(Instant.Of(day), processor.Options.TimeZone, t.Plays, t.ListeningSeconds, t.Attendance, t.Votes,
            t.NewFollowers, t.SignUps, t.MoneySpent, changes.EventsPerSecond, cursor, changes.Head);
    }

    private async Task<CounterTotals> LoadAsync(long day)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        var money = new List<MoneyTotal>();
        await using var connection = await processor.Store.OpenReaderAsync(CancellationToken.None).ConfigureAwait(false);
        var names = string.Join(", ", Metrics.Select((_, i) => $"@m{i}"));
        var parameters = Metrics.Select((m, i) => ($"@m{i}", (object?)m)).Append(("@d", day)).ToArray();
        await using var command = Db.Command(connection, null, $"""
            SELECT metric_type, currency, count, sum FROM coliseum_rollups
            WHERE metric_type IN ({names}) AND entity_type = 'all' AND entity_id = '' AND bucket = 'day' AND bucket_start = @d
            ORDER BY metric_type, currency
            """, parameters);
        await using var rows = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await rows.ReadAsync().ConfigureAwait(false))
        {
            var metric = rows.GetString(0);
            var count = rows.GetInt64(2);
            var sum = rows.GetInt64(3);
            switch (metric)
            {
                case "treasury.money_spent":
                    money.Add(new MoneyTotal(rows.GetString(1), sum, count));
                    break;
                case Metric.ListeningSeconds or Metric.Votes:
                    values[metric] = sum;
                    break;
                default:
                    values[metric] = count;
                    break;
            }
        }
        return new CounterTotals(
            values.GetValueOrDefault("player.track_played"),
            values.GetValueOrDefault(Metric.ListeningSeconds),
            values.GetValueOrDefault("concierto.event_attended"),
            values.GetValueOrDefault(Metric.Votes),
            values.GetValueOrDefault("social.artist_followed"),
            values.GetValueOrDefault("passport.signed_up"),
            money);
    }

    private sealed record Cached(long Epoch, long Cursor, long Day, Task<CounterTotals> Totals);

    private sealed record CounterTotals(long Plays, long ListeningSeconds, long Attendance, long Votes, long NewFollowers, long SignUps, IReadOnlyList<MoneyTotal> MoneySpent);
}

/// <summary>Money in one currency: integer cents, never summed across currencies.</summary>
public sealed record MoneyTotal(string Currency, long Cents, long Payments);

/// <summary>Today's totals (since midnight in the processing time zone) and the live ingest rate.</summary>
public sealed record CountersView(
    DateTime Day,
    string TimeZone,
    long Plays,
    long ListeningSeconds,
    long Attendance,
    long Votes,
    long NewFollowers,
    long SignUps,
    IReadOnlyList<MoneyTotal> MoneySpent,
    double EventsPerSecond,
    long LogPosition,
    long Head);
