using Coliseum.Processing;
using Coliseum.Processing.Coliseum;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Processing;

public sealed class ColiseumConsumerTests
{
    private static readonly string[] BuiltInBoards = [.. LeaderboardDefinition.BuiltIn().Keys];

    [Fact]
    public async Task A_generated_log_gives_the_known_answers()
    {
        var data = Dataset.Generate(3_000);
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(data.Json);
        await harness.RunAsync(new ColiseumConsumer(harness.Options), batchSize: 500);

        // Counts per type: one primary row per event.
        var counts = data.CountsByType().Select(c => $"{c.Key}|{c.Value}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(counts, harness.Rows("SELECT metric_type, COUNT(*) FROM coliseum_metrics WHERE seq = 0 GROUP BY 1 ORDER BY 1"));
        Assert.Equal(counts, harness.Rows("SELECT event_type, COUNT(*) FROM passport_entries WHERE processed_by_coliseum GROUP BY 1 ORDER BY 1"));

        foreach (var board in BuiltInBoards)
        {
            Assert.True(data.Leaderboard(board).Count > 0, board);
            Assert.Equal(data.Leaderboard(board), harness.Rows(
                $"SELECT rank, entity_id, entity_name, score FROM coliseum_leaderboards WHERE leaderboard_id = '{board}' AND time_window = 'all_time' AND scope = '' ORDER BY rank"));
        }
        var day = Dataset.Start.AddDays(2);
        Assert.Equal(data.Leaderboard("top_artists_by_plays", day), harness.Rows(
            $"SELECT rank, entity_id, entity_name, score FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_plays' AND time_window = 'day' AND bucket_start = {day.ToUnixTimeMilliseconds()} ORDER BY rank"));

        Assert.Equal(data.DailyPlaysByArtist(), harness.Rows(
            "SELECT bucket_start, entity_id, count, users FROM coliseum_rollups WHERE metric_type = 'player.track_played' AND entity_type = 'artist' AND bucket = 'day' ORDER BY 1, 2")
            .Order(StringComparer.Ordinal).ToList());
        Assert.Equal(data.SpentByUser(), harness.Rows(
            "SELECT entity_id, currency, SUM(sum) FROM coliseum_rollups WHERE metric_type = 'treasury.money_spent' AND entity_type = 'user' AND bucket = 'day' GROUP BY 1, 2")
            .Order(StringComparer.Ordinal).ToList());
        Assert.Equal(data.EarnedByArtist(), harness.Rows(
            $"SELECT entity_id, currency, SUM(sum) FROM coliseum_rollups WHERE metric_type = '{Metric.ArtistEarnings}' AND entity_type = 'artist' AND bucket = 'hour' GROUP BY 1, 2")
            .Order(StringComparer.Ordinal).ToList());
        Assert.Equal(data.AttendanceByArtist(), harness.Rows(
            $"SELECT artist_id, COUNT(*) FROM coliseum_metrics WHERE metric_type = '{Metric.ArtistAttendance}' GROUP BY 1")
            .Order(StringComparer.Ordinal).ToList());
        // The platform's query over coliseum_metrics is true: plays sum to their count, listening to the seconds.
        Assert.Equal(data.CountsByType()["player.track_played"], harness.Scalar("SELECT SUM(metric_value) FROM coliseum_metrics WHERE metric_type = 'player.track_played'"));

        // The ledger over the same log: spent per user and currency, earned (with tips) per artist and currency.
        await harness.RunAsync(new Coliseum.Processing.Treasury.TreasuryConsumer(harness.Options), batchSize: 700);
        Assert.Equal(data.SpentByUser(), harness.Rows("SELECT owner_id, currency, spent_cents FROM treasury_balances WHERE owner_type = 'user' AND spent_cents > 0").Order(StringComparer.Ordinal).ToList());
        Assert.Equal(data.EarnedByArtist(), harness.Rows("SELECT owner_id, currency, earned_cents FROM treasury_balances WHERE owner_type = 'artist'").Order(StringComparer.Ordinal).ToList());
        Assert.Equal(0, harness.Scalar("SELECT COUNT(*) FROM treasury_balances WHERE balance_cents <> earned_cents + refunded_cents - spent_cents - paid_out_cents"));
    }

    [Fact]
    public async Task Batch_size_and_replay_do_not_change_any_table()
    {
        var data = Dataset.Generate(1_200, seed: 11);
        await using var small = await ProcessorHarness.CreateAsync();
        await small.AppendAsync(data.Json);
        await small.RunAsync(new ColiseumConsumer(small.Options), batchSize: 7);

        await using var large = await ProcessorHarness.CreateAsync();
        await large.AppendAsync(data.Json);
        var consumer = new ColiseumConsumer(large.Options);
        await large.RunAsync(consumer, batchSize: 5_000);
        var incremental = Aggregates.Snapshot(large.DatabasePath);
        Aggregates.Equal(Aggregates.Snapshot(small.DatabasePath), incremental);

        var runner = large.Runner(consumer);
        await runner.ResetAsync(CancellationToken.None);
        Assert.Equal(0, large.Scalar("SELECT COUNT(*) FROM coliseum_metrics"));
        await runner.CatchUpAsync(333, null, CancellationToken.None);
        Aggregates.Equal(incremental, Aggregates.Snapshot(large.DatabasePath));
    }

    [Fact]
    public async Task Late_events_update_the_past_buckets_and_windows_they_belong_to()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        var consumer = new ColiseumConsumer(harness.Options);
        await harness.AppendAsync(Play("u1", "a1", "2026-11-20T10:00:00Z"), Play("u2", "a1", "2026-11-20T11:00:00Z"));
        await harness.RunAsync(consumer);
        // Arrives later but happened two days earlier, and a month earlier.
        await harness.AppendAsync(Play("u3", "a2", "2026-11-18T23:59:59Z"), Play("u4", "a2", "2026-10-31T12:00:00Z"));
        await harness.RunAsync(consumer);

        var nov18 = new DateTimeOffset(2026, 11, 18, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var oct31 = new DateTimeOffset(2026, 10, 31, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var nov20 = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        Assert.Equal([$"{oct31}|1", $"{nov18}|1", $"{nov20}|2"],
            harness.Rows("SELECT bucket_start, count FROM coliseum_rollups WHERE metric_type = 'player.track_played' AND entity_type = 'all' AND bucket = 'day' ORDER BY bucket_start"));
        Assert.Equal(["1|a2|1"], harness.Rows($"SELECT rank, entity_id, score FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_plays' AND time_window = 'day' AND bucket_start = {nov18}"));
        // ISO weeks start on Monday: Nov 16-22 holds the 18th and the 20th; October is its own month.
        var week = new DateTimeOffset(2026, 11, 16, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        Assert.Equal(["1|a1|2", "2|a2|1"], harness.Rows($"SELECT rank, entity_id, score FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_plays' AND time_window = 'week' AND bucket_start = {week} ORDER BY rank"));
        var october = new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        Assert.Equal(["1|a2|1"], harness.Rows($"SELECT rank, entity_id, score FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_plays' AND time_window = 'month' AND bucket_start = {october}"));
        Assert.Equal(["1|a1|2", "2|a2|2"], harness.Rows("SELECT rank, entity_id, score FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_plays' AND time_window = 'all_time' ORDER BY rank"));
    }

    [Fact]
    public async Task Day_windows_follow_the_configured_time_zone()
    {
        await using var harness = await ProcessorHarness.CreateAsync(new ProcessingOptions { TimeZone = "America/Mexico_City" });
        // 03:00 UTC on the 21st is 21:00 on the 20th in Mexico City (UTC-6).
        await harness.AppendAsync(Play("u1", "a1", "2026-11-21T03:00:00Z"));
        await harness.RunAsync(new ColiseumConsumer(harness.Options));
        var localDay = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.FromHours(-6)).ToUnixTimeMilliseconds();
        Assert.Equal([$"{localDay}"], harness.Rows("SELECT bucket_start FROM coliseum_rollups WHERE entity_type = 'all' AND bucket = 'day' AND metric_type = 'player.track_played'"));
        Assert.Equal([$"{localDay}"], harness.Rows("SELECT bucket_start FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_plays' AND time_window = 'day'"));
    }

    [Fact]
    public async Task A_retraction_subtracts_that_users_standing_weight_and_battles_are_scoped_by_event()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        var consumer = new ColiseumConsumer(harness.Options);
        await harness.AppendAsync(
            Vote("u1", "a1", "e1", 5), Vote("u1", "a1", "e1", 3), Vote("u2", "a2", "e1", 4), Vote("u2", "a1", "e2", 10));
        await harness.RunAsync(consumer);
        await harness.AppendAsync(Retract("u1", "a1", "e1"), Retract("u3", "a2", "e1"));
        await harness.RunAsync(consumer);

        Assert.Equal(["1|a1|10", "2|a2|4"], harness.Rows("SELECT rank, entity_id, score FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_votes' AND time_window = 'all_time' AND scope = '' ORDER BY rank"));
        Assert.Equal(["1|a2|4"], harness.Rows("SELECT rank, entity_id, score FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_votes' AND time_window = 'all_time' AND scope = 'e1' ORDER BY rank"));
        Assert.Equal(["1|a1|10"], harness.Rows("SELECT rank, entity_id, score FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_votes' AND time_window = 'all_time' AND scope = 'e2' ORDER BY rank"));
        Assert.Equal(["coliseum.vote_retracted|2|8"], harness.Rows("SELECT metric_type, COUNT(*), SUM(metric_value) FROM coliseum_metrics WHERE metric_type = 'coliseum.vote_retracted' GROUP BY 1"));
        Assert.Equal(14, harness.Scalar($"SELECT SUM(metric_value) FROM coliseum_metrics WHERE metric_type = '{Metric.Votes}'"));
    }

    [Fact]
    public async Task Names_come_from_events_and_the_directory_and_a_directory_name_wins()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        var consumer = new ColiseumConsumer(harness.Options);
        await harness.AppendAsync(Play("u1", "a1", "2026-11-20T10:00:00Z"), Play("u1", "a2", "2026-11-20T10:00:00Z"));
        await harness.RunAsync(consumer);
        Assert.Equal(["a1|a1", "a2|a2"], harness.Rows("SELECT entity_id, entity_name FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_plays' AND time_window = 'all_time' ORDER BY rank"));

        await harness.AppendAsync("""{"type":"mediaid.artist_profile_updated","userId":"admin","at":"2026-11-20T12:00:00Z","artistId":"a1","name":"Rosalía"}""");
        await harness.RunAsync(consumer);
        await EntityDirectory.SetAsync(harness.Store, "artist", "a2", "Bad Bunny", 1, CancellationToken.None);
        Assert.Equal(["a1|Rosalía", "a2|Bad Bunny"], harness.Rows("SELECT entity_id, entity_name FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_plays' AND time_window = 'all_time' ORDER BY rank"));

        // A later event cannot override the directory's name, and a replay keeps it.
        await harness.AppendAsync("""{"type":"mediaid.artist_profile_updated","userId":"admin","at":"2026-11-20T13:00:00Z","artistId":"a2","name":"B. Bunny"}""");
        await harness.RunAsync(consumer);
        var runner = harness.Runner(consumer);
        await runner.ResetAsync(CancellationToken.None);
        await runner.CatchUpAsync(100, null, CancellationToken.None);
        Assert.Equal(["a1|Rosalía", "a2|Bad Bunny"], harness.Rows("SELECT entity_id, entity_name FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_plays' AND time_window = 'all_time' ORDER BY rank"));
    }

    [Fact]
    public async Task A_board_defined_in_configuration_is_filled_without_code()
    {
        var options = new ProcessingOptions();
        options.Leaderboards["top_tracks_by_listening"] = new LeaderboardDefinition { Metrics = [Metric.ListeningSeconds], Score = "sum", Entity = "track" };
        options.Leaderboards["top_artists_by_plays"].Enabled = false;
        await using var harness = await ProcessorHarness.CreateAsync(options);
        await harness.AppendAsync(Play("u1", "a1", "2026-11-20T10:00:00Z", track: "t1", seconds: 100), Play("u2", "a1", "2026-11-20T10:00:00Z", track: "t2", seconds: 250));
        await harness.RunAsync(new ColiseumConsumer(options));
        Assert.Equal(["1|t2|250", "2|t1|100"], harness.Rows("SELECT rank, entity_id, score FROM coliseum_leaderboards WHERE leaderboard_id = 'top_tracks_by_listening' AND time_window = 'all_time' ORDER BY rank"));
        Assert.Equal(0, harness.Scalar("SELECT COUNT(*) FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_plays'"));
    }

    [Fact]
    public async Task A_poison_entry_is_dead_lettered_and_the_entries_behind_it_still_apply_then_retry_applies_it()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(Vote("u1", "a1", "e1", 5), Vote("u2", "a1", "e1", 7), Vote("u3", "a2", "e1", 2));
        // Written by something other than capture (an old version, a hand edit): the weight is not a number.
        Sql.Execute(harness.DatabasePath, """UPDATE passport_log SET metadata = '{"artistId":"a1","eventId":"e1","channel":"app","weight":"seven"}' WHERE position = 2""");
        var consumer = new ColiseumConsumer(harness.Options);
        Assert.Equal(3, await harness.RunAsync(consumer));

        Assert.Equal(3, harness.Scalar("SELECT position FROM consumer_cursors WHERE name = 'coliseum'"));
        Assert.Equal(["coliseum|2|coliseum.vote_cast|3"], harness.Rows("SELECT consumer, position, event_type, attempts FROM consumer_dead_letters"));
        Assert.Contains("weight", harness.Rows("SELECT error FROM consumer_dead_letters")[0], StringComparison.Ordinal);
        Assert.Equal(["1|a1|5", "2|a2|2"], harness.Rows("SELECT rank, entity_id, score FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_votes' AND time_window = 'all_time' AND scope = '' ORDER BY rank"));

        // Fixed at the source, then retried: counted once, resolved.
        Sql.Execute(harness.DatabasePath, """UPDATE passport_log SET metadata = '{"artistId":"a1","eventId":"e1","channel":"app","weight":7}' WHERE position = 2""");
        var runner = harness.Runner(consumer);
        Assert.Equal((1, 0), await runner.RetryDeadLettersAsync(CancellationToken.None));
        Assert.Equal((0, 0), await runner.RetryDeadLettersAsync(CancellationToken.None));
        Assert.Equal(["1|a1|12", "2|a2|2"], harness.Rows("SELECT rank, entity_id, score FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_votes' AND time_window = 'all_time' AND scope = '' ORDER BY rank"));
        Assert.Equal(0, harness.Scalar("SELECT COUNT(*) FROM consumer_dead_letters WHERE resolved_at IS NULL"));
    }

    [Fact]
    public async Task Only_one_runner_holds_a_consumer_and_a_dead_processs_lease_is_taken_over()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(Play("u1", "a1", "2026-11-20T10:00:00Z"));
        var first = harness.Runner(new ColiseumConsumer(harness.Options));
        await first.CatchUpAsync(10, null, CancellationToken.None);

        var other = new ConsumerRunner(new ColiseumConsumer(harness.Options), harness.Log, harness.Store, harness.Options, new LogSignal(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TimeProvider.System, owner: $"{Environment.MachineName}:{Environment.ProcessId}:other");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => other.CatchUpAsync(10, null, CancellationToken.None));
        Assert.Contains("is being run by", refused.Message, StringComparison.Ordinal);

        // A lease left by a process that no longer exists on this machine is taken at once. The holder goes
        // first (on PostgreSQL its advisory-lock session ends with it; the row alone says it is alive for ages).
        await first.ReleaseAsync(CancellationToken.None);
        Sql.Execute(harness.DatabasePath, $"UPDATE consumer_cursors SET lease_owner = '{Environment.MachineName}:999999:gone', lease_until = 99999999999999 WHERE name = 'coliseum'");
        await harness.AppendAsync(Play("u2", "a1", "2026-11-20T10:00:00Z"));
        Assert.Equal(1, await other.CatchUpAsync(10, null, CancellationToken.None));
    }

    internal static string Play(string user, string artist, string at, string track = "t1", int seconds = 200) =>
        $$"""{"type":"player.track_played","userId":"{{user}}","at":"{{at}}","trackId":"{{track}}","artistId":"{{artist}}","durationSeconds":{{seconds}}}""";

    private static string Vote(string user, string artist, string eventId, int weight) =>
        $$"""{"type":"coliseum.vote_cast","userId":"{{user}}","at":"2026-11-20T10:00:00Z","artistId":"{{artist}}","eventId":"{{eventId}}","channel":"app","weight":{{weight}}}""";

    private static string Retract(string user, string artist, string eventId) =>
        $$"""{"type":"coliseum.vote_retracted","userId":"{{user}}","at":"2026-11-20T11:00:00Z","artistId":"{{artist}}","eventId":"{{eventId}}"}""";
}
