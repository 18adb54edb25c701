using Coliseum.Processing;
using Coliseum.Processing.Coliseum;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Processing;

public sealed class ColiseumConsumerSmokeTests
{
    [Fact]
    public async Task Plays_land_in_metrics_rollups_and_the_leaderboard()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(
            """{"type":"player.track_played","userId":"u1","at":"2026-11-20T10:15:00Z","trackId":"t1","artistId":"a1","durationSeconds":200}""",
            """{"type":"player.track_played","userId":"u2","at":"2026-11-20T10:45:00Z","trackId":"t1","artistId":"a1","durationSeconds":100}""",
            """{"type":"player.track_played","userId":"u1","at":"2026-11-20T11:05:00Z","trackId":"t2","artistId":"a2","durationSeconds":50}""");
        var consumer = new ColiseumConsumer(harness.Options);
        Assert.Equal(3, await harness.RunAsync(consumer));

        Assert.Equal(["player.listening_seconds|3|350", "player.track_played|3|3"],
            harness.Rows("SELECT metric_type, COUNT(*), SUM(metric_value) FROM coliseum_metrics GROUP BY 1 ORDER BY 1"));
        Assert.Equal(["a1|2|2|2", "a2|1|1|1"],
            harness.Rows("SELECT entity_id, count, sum, users FROM coliseum_rollups WHERE metric_type = 'player.track_played' AND entity_type = 'artist' AND bucket = 'day' ORDER BY 1"));
        Assert.Equal(["3|2"], harness.Rows("SELECT count, users FROM coliseum_rollups WHERE metric_type = 'player.track_played' AND entity_type = 'all' AND bucket = 'day'"));
        Assert.Equal(["1|a1|a1|2", "2|a2|a2|1"],
            harness.Rows("SELECT rank, entity_id, entity_name, score FROM coliseum_leaderboards WHERE leaderboard_id = 'top_artists_by_plays' AND time_window = 'all_time' ORDER BY rank"));
        Assert.Equal(3, harness.Scalar("SELECT position FROM consumer_cursors WHERE name = 'coliseum'"));
    }
}
