using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using Coliseum.Processing;

namespace Coliseum.Query;

/// <summary>
/// Reads the materialised top N of a leaderboard bucket (<c>coliseum_leaderboards</c>) and keeps the
/// answer until the coliseum cursor moves, so a board read by many screens costs one query per change.
/// </summary>
public sealed class Leaderboards(Processor processor, ChangeFeed changes)
{
    public static readonly string[] Windows = ["all_time", "day", "week", "month"];
    private const int MaxCached = 2_000;

    private readonly TimeBuckets _buckets = TimeBuckets.For(processor.Options.TimeZone);
    private readonly ConcurrentDictionary<BoardKey, Cached> _cache = new();

    public IReadOnlyDictionary<string, LeaderboardDefinition> Boards => processor.Coliseum.Boards;

    public int Size => processor.Options.LeaderboardSize;

    /// <summary>The bucket of <paramref name="window"/> that contains <paramref name="at"/> (0 for all_time).</summary>
    public long BucketStart(string window, long at) => window switch
    {
        "day" => _buckets.DayStart(at),
        "week" => _buckets.WeekStart(at),
        "month" => _buckets.MonthStart(at),
        _ => 0,
    };

    /// <summary>The whole materialised board (up to <see cref="Size"/> entries) for one bucket and scope.</summary>
    public async Task<LeaderboardView> GetAsync(string id, string window, long at, string? scope, CancellationToken cancellationToken)
    {
        var key = new BoardKey(id, window, BucketStart(window, at), scope ?? "");
        var epoch = changes.Epoch;
        var cursor = changes.Cursor;
        if (_cache.TryGetValue(key, out var cached) && cached.Epoch == epoch && cached.Cursor == cursor && cached.View.IsCompletedSuccessfully)
        {
            return cached.View.Result;
        }
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }
        // The cursor is read before the query: a commit during the query leaves an entry marked older, read again next time.
        var load = LoadAsync(key, cursor);
        _cache[key] = new Cached(epoch, cursor, load);
        return await load.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<LeaderboardView> LoadAsync(BoardKey key, long cursor)
    {
        var board = Boards[key.Id];
        var entries = new List<LeaderboardEntry>();
        long? updatedAt = null;
        await using var connection = await processor.Store.OpenReaderAsync(CancellationToken.None).ConfigureAwait(false);
        await using (var command = Db.Command(connection, null, """
            SELECT rank, entity_id, entity_name, score, updated_at FROM coliseum_leaderboards
            WHERE leaderboard_id = @b AND time_window = @w AND bucket_start = @s AND scope = @sc ORDER BY rank
            """, ("@b", key.Id), ("@w", key.Window), ("@s", key.BucketStart), ("@sc", key.Scope)))
        await using (var rows = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await rows.ReadAsync().ConfigureAwait(false))
            {
                entries.Add(new LeaderboardEntry(rows.GetInt64(0), rows.GetString(1), rows.GetString(2), rows.GetInt64(3)));
                updatedAt ??= Db.Int64(rows, 4);
            }
        }
        if (updatedAt is null)
        {
            // Every score in the bucket may have fallen to zero (unfollows, retractions): the bucket still changed.
            var at = await Db.ScalarAsync(connection, null,
                "SELECT COALESCE(MAX(updated_at), 0) FROM coliseum_leaderboard_windows WHERE leaderboard_id = @b AND time_window = @w AND bucket_start = @s AND scope = @sc",
                CancellationToken.None, ("@b", key.Id), ("@w", key.Window), ("@s", key.BucketStart), ("@sc", key.Scope)).ConfigureAwait(false);
            updatedAt = at == 0 ? null : at;
        }
        return new LeaderboardView(
            key.Id,
            board.Title ?? key.Id,
            board.Entity,
            key.Window,
            key.Scope.Length == 0 ? null : key.Scope,
            key.Window == "all_time" ? null : Instant.Of(key.BucketStart),
            updatedAt is { } u ? Instant.Of(u) : null,
            cursor,
            entries);
    }

    private readonly record struct BoardKey(string Id, string Window, long BucketStart, string Scope);

    private sealed record Cached(long Epoch, long Cursor, Task<LeaderboardView> View);
}

/// <summary>What <c>useColiseum({leaderboardId})</c> reads.</summary>
public sealed record LeaderboardView(
    string LeaderboardId,
    string Title,
    string EntityType,
    string Window,
    string? Scope,
    DateTime? BucketStart,
    DateTime? UpdatedAt,
    long LogPosition,
    IReadOnlyList<LeaderboardEntry> Entries)
{
    public LeaderboardView Take(int limit) => Entries.Count <= limit ? this : this with { Entries = Entries.Take(limit).ToArray() };
}

/// <summary>One row of a board, named as the platform's React app expects.</summary>
public sealed record LeaderboardEntry(
    long Rank,
    [property: JsonPropertyName("entity_id")] string EntityId,
    [property: JsonPropertyName("entity_name")] string EntityName,
    long Score);

/// <summary>A defined board, for <c>GET /api/coliseum/leaderboards</c>.</summary>
public sealed record LeaderboardInfo(string Id, string Title, string EntityType, string Score, IReadOnlyList<string> Metrics, string? Scope, string? Currency, IReadOnlyList<string> Windows, int Size);
