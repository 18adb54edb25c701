using System.Data.Common;
using System.Runtime.InteropServices;

namespace Coliseum.Processing.Coliseum;

/// <summary>
/// One batch of the coliseum consumer, aggregated in memory: its metric rows, the rollup and
/// leaderboard deltas summed per key, and the state it changed (votes, participation, names). Written
/// with one statement per table chunk, each key once.
/// </summary>
internal sealed class ColiseumBatch(ColiseumConsumer consumer, TimeBuckets buckets, int boardSize) : ConsumerBatch
{
    private static readonly string[] Windows = ["all_time", "day", "week", "month"];

    private readonly List<Contribution> _contributions = [];
    private readonly Dictionary<RollupKey, (long Count, long Sum)> _rollups = [];
    private readonly HashSet<(long Start, long Rollup, long User)> _members = [];
    private readonly Dictionary<long, RollupKey> _rollupsByHash = [];
    private readonly Dictionary<ScoreKey, long> _scores = [];
    private readonly Dictionary<BoardBucket, long> _touched = [];
    private readonly Dictionary<VoteKey, long> _votes = [];
    private readonly Dictionary<VoteKey, long> _storedVotes = [];
    private readonly Dictionary<string, SortedSet<string>> _participation = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Event, string Artist), (string? Role, long Position)> _newParticipation = [];
    private readonly Dictionary<(string Type, string Id), (string Name, long Position, long At)> _names = [];
    private readonly Dictionary<(string SubjectType, string SubjectId, string Dimension, string DimensionId, long Day), long> _breakdowns = [];

    /// <summary>Touchpoints and conversion credits (<c>coliseum_touchpoints</c>, <c>conversion_attributions</c>).</summary>
    public AttributionBatch Attribution { get; } = new(consumer.AttributionLookbackMs);

    /// <summary>Loads the committed state this batch's events depend on.</summary>
    public async Task LoadAsync(DbConnection reader, HashSet<string> attendedEvents, HashSet<VoteKey> votes, CancellationToken cancellationToken)
    {
        foreach (var chunk in attendedEvents.Chunk(400))
        {
            var parameters = chunk.Select((id, i) => ($"@e{i}", (object?)id)).ToArray();
            await using var command = Db.Command(reader, null,
                $"SELECT event_id, artist_id FROM artist_event_participation WHERE event_id IN ({string.Join(", ", parameters.Select(p => p.Item1))})", parameters);
            await using var rows = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ArtistSet(rows.GetString(0)).Add(rows.GetString(1));
            }
        }
        foreach (var eventId in attendedEvents)
        {
            ArtistSet(eventId);
        }
        if (votes.Count > 0)
        {
            await using var command = Db.Command(reader, null, "SELECT weight FROM coliseum_votes WHERE user_id = @u AND event_id = @e AND artist_id = @a", ("@u", null), ("@e", null), ("@a", null));
            foreach (var key in votes)
            {
                command.Parameters[0].Value = key.User;
                command.Parameters[1].Value = key.Event;
                command.Parameters[2].Value = key.Artist;
                var weight = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                _storedVotes[key] = weight is null or DBNull ? 0 : Convert.ToInt64(weight, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }

    private SortedSet<string> ArtistSet(string eventId)
    {
        if (!_participation.TryGetValue(eventId, out var set))
        {
            _participation[eventId] = set = new SortedSet<string>(StringComparer.Ordinal);
        }
        return set;
    }

    public IEnumerable<string> ArtistsOf(string eventId) => _participation.TryGetValue(eventId, out var set) ? set : [];

    public long VoteOf(VoteKey key) => _votes.TryGetValue(key, out var w) ? w : _storedVotes.GetValueOrDefault(key);

    public void SetVote(VoteKey key, long weight) => _votes[key] = weight;

    public void Participate(string eventId, string artistId, string? role, long position)
    {
        ArtistSet(eventId).Add(artistId);
        var key = (eventId, artistId);
        // A booking's role wins over the plain listing in event_created; a later booking's role over an earlier one.
        if (!_newParticipation.TryGetValue(key, out var existing) || role is not null)
        {
            _newParticipation[key] = (role ?? existing.Role, existing.Position == 0 ? position : existing.Position);
        }
    }

    public void Name(string type, string id, string name, long position, long at) => _names[(type, id)] = (name, position, at);

    public void Add(Contribution c)
    {
        _contributions.Add(c);
        var hour = buckets.HourStart(c.Timestamp);
        var day = buckets.DayStart(c.Timestamp);
        AddRollups(c, "hour", hour);
        AddRollups(c, "day", day);
        AddBreakdowns(c, day);
        var boards = consumer.BoardsFor(c.Metric);
        if (boards.Count == 0)
        {
            return;
        }
        ReadOnlySpan<long> starts = [0, day, buckets.WeekStart(c.Timestamp), buckets.MonthStart(c.Timestamp)];
        foreach (var (boardId, board) in boards)
        {
            if ((board.Currency is not null && !board.Currency.Equals(c.Currency, StringComparison.Ordinal)) || c.Dimension(board.Entity) is not { } entityId)
            {
                continue;
            }
            var delta = board.IsSum ? c.Value : 1;
            var scope = board.Scope is null ? null : c.Dimension(board.Scope);
            for (var w = 0; w < Windows.Length; w++)
            {
                AddScore(new ScoreKey(boardId, Windows[w], starts[w], "", entityId), delta, c.ReceivedAt);
                if (scope is not null)
                {
                    AddScore(new ScoreKey(boardId, Windows[w], starts[w], scope, entityId), delta, c.ReceivedAt);
                }
            }
        }
    }

    private void AddRollups(Contribution c, string bucket, long start)
    {
        AddRollup(new RollupKey(c.Metric, "all", "", c.Currency, bucket, start), c);
        if (c.User is { } user) { AddRollup(new RollupKey(c.Metric, "user", user, c.Currency, bucket, start), c); }
        if (c.Artist is { } artist) { AddRollup(new RollupKey(c.Metric, "artist", artist, c.Currency, bucket, start), c); }
        if (c.Track is { } track) { AddRollup(new RollupKey(c.Metric, "track", track, c.Currency, bucket, start), c); }
        if (c.Event is { } evt) { AddRollup(new RollupKey(c.Metric, "event", evt, c.Currency, bucket, start), c); }
        if (c.City is { } city) { AddRollup(new RollupKey(c.Metric, "city", city, c.Currency, bucket, start), c); }
        if (c.Playlist is { } playlist) { AddRollup(new RollupKey(c.Metric, "playlist", playlist, c.Currency, bucket, start), c); }
    }

    private void AddRollup(RollupKey key, Contribution c)
    {
        ref var totals = ref CollectionsMarshal.GetValueRefOrAddDefault(_rollups, key, out _);
        totals = (totals.Count + 1, totals.Sum + c.Value);
        if (key.EntityType != "user" && c.User is not null)
        {
            var hash = key.Hash();
            var pair = (key.BucketStart, hash, StableHash.Start().Add(c.User).Value);
            if (!consumer.Members.Contains(pair))
            {
                _rollupsByHash[hash] = key;
                _members.Add(pair);
            }
        }
    }

    /// <summary>The per-day combinations the reports need and no rollup holds (coliseum_breakdowns).</summary>
    private void AddBreakdowns(Contribution c, long day)
    {
        switch (c.Metric)
        {
            case "player.track_played":
                if (c.Artist is { } artist && c.Track is { } track) { CollectionsMarshal.GetValueRefOrAddDefault(_breakdowns, ("artist", artist, "track", track, day), out _)++; }
                if (c.User is { } fan && c.Artist is { } played) { CollectionsMarshal.GetValueRefOrAddDefault(_breakdowns, ("user", fan, "artist", played, day), out _)++; }
                break;
            case Metric.ArtistAttendance when c.Artist is { } performer && c.City is { } city:
                CollectionsMarshal.GetValueRefOrAddDefault(_breakdowns, ("artist", performer, "city", city, day), out _)++;
                break;
            case "concierto.event_attended" when c.User is { } attendee && c.Event is { } attended:
                CollectionsMarshal.GetValueRefOrAddDefault(_breakdowns, ("user", attendee, "event", attended, day), out _)++;
                break;
        }
    }

    private void AddScore(ScoreKey key, long delta, long at)
    {
        CollectionsMarshal.GetValueRefOrAddDefault(_scores, key, out _) += delta;
        var bucket = new BoardBucket(key.Board, key.Window, key.BucketStart, key.Scope);
        _touched[bucket] = Math.Max(_touched.GetValueOrDefault(bucket), at);
    }

    public override async Task<long> WriteAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        long bytes = 0;
        var metrics = new BulkStatement("coliseum_metrics",
            ["position", "seq", "metric_type", "metric_value", "currency", "user_id", "artist_id", "track_id", "event_id", "city", "playlist_id", "entity_type", "entity_id", "metadata", "timestamp"],
            "ON CONFLICT (position, seq) DO NOTHING");
        foreach (var c in _contributions)
        {
            metrics.Add(c.Position, (long)c.Seq, c.Metric, c.Value, c.Currency.Length == 0 ? null : c.Currency, c.User, c.Artist, c.Track, c.Event, c.City, c.Playlist, c.EntityType, c.EntityId, c.Metadata, c.Timestamp);
            bytes += 120 + (c.Metadata?.Length ?? 0);
        }
        await metrics.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);

        // Distinct users: a (rollup, user) pair counts once, the first time it is inserted. Both sides are
        // stored as 64-bit hashes: 16-byte rows keep the table small and its inserts cheap, and a collision
        // (about one chance in 10^7 for a million users in one rollup) is the only way a user could go uncounted.
        var newUsers = new Dictionary<RollupKey, long>();
        var members = new BulkStatement("coliseum_rollup_users", ["bucket_start", "rollup_hash", "user_hash"], "ON CONFLICT DO NOTHING RETURNING rollup_hash");
        foreach (var (start, rollup, user) in _members.Order())
        {
            members.Add(start, rollup, user);
        }
        await members.FlushAsync(connection, transaction, cancellationToken, row =>
        {
            var key = _rollupsByHash[row.GetInt64(0)];
            newUsers[key] = newUsers.GetValueOrDefault(key) + 1;
        }).ConfigureAwait(false);
        bytes += _members.Count * 40L;

        var rollups = new BulkStatement("coliseum_rollups",
            ["metric_type", "entity_type", "entity_id", "currency", "bucket", "bucket_start", "count", "sum", "users"],
            """
            ON CONFLICT (metric_type, entity_type, entity_id, currency, bucket, bucket_start) DO UPDATE SET
                count = coliseum_rollups.count + excluded.count,
                sum = coliseum_rollups.sum + excluded.sum,
                users = CASE WHEN excluded.entity_type = 'user' THEN 1 ELSE coliseum_rollups.users + excluded.users END
            """);
        foreach (var (key, (count, sum)) in _rollups)
        {
            var users = key.EntityType == "user" ? 1 : newUsers.GetValueOrDefault(key);
            rollups.Add(key.Metric, key.EntityType, key.EntityId, key.Currency, key.Bucket, key.BucketStart, count, sum, users);
        }
        await rollups.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        bytes += _rollups.Count * 90L;

        var breakdowns = new BulkStatement("coliseum_breakdowns", ["subject_type", "subject_id", "dimension", "dimension_id", "bucket_start", "count"],
            "ON CONFLICT (subject_type, subject_id, dimension, bucket_start, dimension_id) DO UPDATE SET count = coliseum_breakdowns.count + excluded.count");
        foreach (var ((subjectType, subjectId, dimension, dimensionId, day), count) in _breakdowns)
        {
            breakdowns.Add(subjectType, subjectId, dimension, dimensionId, day, count);
        }
        await breakdowns.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        bytes += _breakdowns.Count * 60L;

        await WriteStateAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await WriteLeaderboardsAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        bytes += await Attribution.WriteAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        bytes += _scores.Count * 70L + _touched.Count * boardSize * 80L;
        return bytes;
    }

    private async Task WriteStateAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (_votes.Count > 0)
        {
            var votes = new BulkStatement("coliseum_votes", ["user_id", "event_id", "artist_id", "weight"],
                "ON CONFLICT (user_id, event_id, artist_id) DO UPDATE SET weight = excluded.weight");
            foreach (var (key, weight) in _votes)
            {
                votes.Add(key.User, key.Event, key.Artist, weight);
            }
            await votes.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        }
        if (_newParticipation.Count > 0)
        {
            var participation = new BulkStatement("artist_event_participation", ["event_id", "artist_id", "role", "position"],
                "ON CONFLICT (event_id, artist_id) DO UPDATE SET role = COALESCE(excluded.role, artist_event_participation.role)");
            foreach (var ((eventId, artistId), (role, position)) in _newParticipation)
            {
                participation.Add(eventId, artistId, role, position);
            }
            await participation.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        }
        if (_names.Count > 0)
        {
            var names = new BulkStatement("coliseum_entities", ["entity_type", "entity_id", "name", "source", "updated_at"],
                "ON CONFLICT (entity_type, entity_id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at WHERE coliseum_entities.source = 'event'");
            foreach (var ((type, id), (name, _, at)) in _names)
            {
                names.Add(type, id, name, "event", at);
            }
            await names.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            // Boards already showing a renamed entity show the new name.
            await using var rename = Db.Command(connection, transaction, """
                UPDATE coliseum_leaderboards SET entity_name = (SELECT e.name FROM coliseum_entities e WHERE e.entity_type = @t AND e.entity_id = @i)
                WHERE entity_type = @t AND entity_id = @i
                """, ("@t", null), ("@i", null));
            foreach (var (type, id) in _names.Keys)
            {
                rename.Parameters[0].Value = type;
                rename.Parameters[1].Value = id;
                await rename.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task WriteLeaderboardsAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (_scores.Count == 0)
        {
            return;
        }
        var scores = new BulkStatement("coliseum_leaderboard_scores", ["leaderboard_id", "time_window", "bucket_start", "scope", "entity_id", "score"],
            "ON CONFLICT (leaderboard_id, time_window, bucket_start, scope, entity_id) DO UPDATE SET score = coliseum_leaderboard_scores.score + excluded.score");
        foreach (var (key, delta) in _scores)
        {
            scores.Add(key.Board, key.Window, key.BucketStart, key.Scope, key.EntityId, delta);
        }
        await scores.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);

        var windows = new BulkStatement("coliseum_leaderboard_windows", ["leaderboard_id", "time_window", "bucket_start", "scope", "updated_at"],
            """
            ON CONFLICT (leaderboard_id, time_window, bucket_start, scope) DO UPDATE SET
                updated_at = CASE WHEN excluded.updated_at > coliseum_leaderboard_windows.updated_at THEN excluded.updated_at ELSE coliseum_leaderboard_windows.updated_at END
            """);
        foreach (var (key, at) in _touched)
        {
            windows.Add(key.Board, key.Window, key.BucketStart, key.Scope, at);
        }
        await windows.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);

        // Materialise the top N of every board bucket this batch touched.
        await using var clear = Db.Command(connection, transaction,
            "DELETE FROM coliseum_leaderboards WHERE leaderboard_id = @b AND time_window = @w AND bucket_start = @s AND scope = @sc",
            ("@b", null), ("@w", null), ("@s", null), ("@sc", null));
        await using var fill = Db.Command(connection, transaction, """
            INSERT INTO coliseum_leaderboards (leaderboard_id, time_window, bucket_start, scope, rank, entity_type, entity_id, entity_name, score, updated_at)
            SELECT @b, @w, @s, @sc, ROW_NUMBER() OVER (ORDER BY top.score DESC, top.entity_id), @type, top.entity_id, COALESCE(e.name, top.entity_id), top.score,
                (SELECT updated_at FROM coliseum_leaderboard_windows x WHERE x.leaderboard_id = @b AND x.time_window = @w AND x.bucket_start = @s AND x.scope = @sc)
            FROM (SELECT entity_id, score FROM coliseum_leaderboard_scores
                  WHERE leaderboard_id = @b AND time_window = @w AND bucket_start = @s AND scope = @sc AND score > 0
                  ORDER BY score DESC, entity_id LIMIT @n) top
            LEFT JOIN coliseum_entities e ON e.entity_type = @type AND e.entity_id = top.entity_id
            """, ("@b", null), ("@w", null), ("@s", null), ("@sc", null), ("@type", null), ("@n", (long)boardSize));
        foreach (var key in _touched.Keys)
        {
            clear.Parameters[0].Value = fill.Parameters[0].Value = key.Board;
            clear.Parameters[1].Value = fill.Parameters[1].Value = key.Window;
            clear.Parameters[2].Value = fill.Parameters[2].Value = key.BucketStart;
            clear.Parameters[3].Value = fill.Parameters[3].Value = key.Scope;
            fill.Parameters[4].Value = consumer.Boards[key.Board].Entity;
            await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await fill.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Committed() => consumer.Members.AddCommitted(_members);
}

internal readonly record struct RollupKey(string Metric, string EntityType, string EntityId, string Currency, string Bucket, long BucketStart)
{
    public long Hash() => StableHash.Start().Add(Metric).Add(EntityType).Add(EntityId).Add(Currency).Add(Bucket).Add(BucketStart).Value;
}

internal readonly record struct ScoreKey(string Board, string Window, long BucketStart, string Scope, string EntityId);

/// <summary>One materialised board: a leaderboard, a window's bucket, and a scope ("" for the whole board).</summary>
internal readonly record struct BoardBucket(string Board, string Window, long BucketStart, string Scope);
