using System.Data.Common;
using Coliseum.Processing;
using Coliseum.Query;
using Coliseum.Storage;

namespace Coliseum.Privacy;

/// <summary>
/// Erases one user (<c>DELETE /api/privacy/users/{userId}</c>). With every consumer paused between
/// batches, one write transaction blanks the user's log entries (<see cref="ErasedEntry"/>), drops the
/// tables of every consumer that had applied any of them (the consumer then rebuilds them from the log,
/// which no longer says anything about the user), deletes the user's passport reports, and records the
/// request (<c>privacy_requests</c>: the id's SHA-256, counts, the admin key's id; never the user id).
/// </summary>
/// <remarks>
/// Why a rebuild rather than subtracting: distinct-user counts, top-N boards, vote standings, attribution,
/// names and merged anonymous profiles all depend on the order of the log; replaying it is the one way
/// that is right by construction, and it is what <c>coliseum replay</c> and the exactly-once tests already
/// check. The transaction is all or nothing, and the rebuild is the consumers' ordinary catching up from
/// cursor 0, so a crash at any point leaves either nothing done or a rebuild that simply carries on after
/// the restart. A second request for the same user finds nothing and changes nothing.
/// </remarks>
internal sealed partial class UserErasure(Processor processor, IPassportStore log, IProcessorStore store, ChangeFeed changes, Suppressions suppressions,
    ProcessingOptions processing, TimeProvider time, ILogger<UserErasure> logger)
{
    /// <summary>Derived rows counted for the audit record (the consumers drop them all and rebuild without the user).</summary>
    private static (string Table, string Where)[] Counted(SqlDialect d) =>
    [
        ("coliseum_metrics", $"position {d.InIntegers("@p")}"),
        ("coliseum_rollups", $"entity_type = 'user' AND entity_id {d.InTexts("@k")}"),
        ("coliseum_breakdowns", $"subject_type = 'user' AND subject_id {d.InTexts("@k")}"),
        ("coliseum_votes", $"user_id {d.InTexts("@k")}"),
        ("coliseum_touchpoints", $"user_id {d.InTexts("@k")}"),
        ("conversion_attributions", $"position {d.InIntegers("@p")}"),
        ("treasury_ledger", $"position {d.InIntegers("@p")}"),
        ("treasury_balances", $"owner_type = 'user' AND owner_id {d.InTexts("@k")}"),
        ("treasury_subscriptions", $"user_id {d.InTexts("@k")}"),
        ("mediaid_profiles", $"user_id {d.InTexts("@pk")}"),
        ("mediaid_profile_events", $"user_id {d.InTexts("@pk")}"),
        ("mediaid_identity_links", "user_id = @u"),
        ("mediaid_dna", $"user_id {d.InTexts("@pk")}"),
        ("mediaid_dna_influence", $"position {d.InIntegers("@p")}"),
        ("mediaid_user_entries", "user_id = @u"),
        ("consumer_dead_letters", $"position {d.InIntegers("@p")}"),
    ];

    private readonly SemaphoreSlim _one = new(1, 1);

    /// <exception cref="InvalidOperationException">Another process runs a consumer (it holds the lease).</exception>
    public async Task<PrivacyRequestView> EraseAsync(string userId, bool suppress, string requestedBy, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        var paused = new List<IAsyncDisposable>();
        try
        {
            foreach (var runner in processor.Runners)
            {
                paused.Add(await runner.PauseAsync(cancellationToken).ConfigureAwait(false));
            }
            var id = await EraseWhilePausedAsync(userId, suppress, requestedBy, cancellationToken).ConfigureAwait(false);
            return (await GetAsync(id, CancellationToken.None).ConfigureAwait(false))!;
        }
        finally
        {
            foreach (var pause in paused)
            {
                await pause.DisposeAsync().ConfigureAwait(false);
            }
            if (!processing.Enabled)
            {
                // This process does not run the consumers: let the one that does take them back.
                foreach (var runner in processor.Runners)
                {
                    await runner.ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            _one.Release();
        }
    }

    private async Task<long> EraseWhilePausedAsync(string userId, bool suppress, string requestedBy, CancellationToken cancellationToken)
    {
        // Most of the scan and the counts on a reader, so the writer (and capture) wait only for the transaction.
        var head = await log.GetHeadAsync(cancellationToken).ConfigureAwait(false);
        var d = store.Dialect;
        var scope = new UserScope(userId, d);
        var removed = new SortedDictionary<string, long>(StringComparer.Ordinal);
        await using (var reader = await store.OpenReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await scope.AddAsync(reader, null, 0, head, cancellationToken).ConfigureAwait(false);
            await CountAsync(reader, d, scope, removed, cancellationToken).ConfigureAwait(false);
        }

        var hash = Suppressions.Hash(userId);
        var reset = new List<ConsumerRunner>();
        long requestId = 0;
        long target = 0;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        // Past this point the work is not cancelled with the request: it commits whole or not at all.
        var ct = CancellationToken.None;
        await store.WriteAsync(async (connection, transaction) =>
        {
            reset.Clear();
            if (d.LockLog is { } lockLog)
            {
                // Appends wait until this commits, so none of the user's entries can land after the scan below.
                await Db.ExecuteAsync(connection, transaction, lockLog, ct).ConfigureAwait(false);
            }
            await scope.AddAsync(connection, transaction, head, long.MaxValue, ct).ConfigureAwait(false);
            var positions = scope.Positions;
            removed["passport_entries"] = positions.Count;
            if (positions.Count > 0)
            {
                await Db.ExecuteAsync(connection, transaction, $$"""
                    UPDATE passport_log SET event_type = @type, event_category = @category, user_id = NULL, anonymous_id = NULL,
                        session_id = NULL, device_id = NULL, entity_type = NULL, entity_id = NULL, metadata = '{}', context = NULL,
                        occurred_at = received_at, client_at = received_at, sent_at = NULL, source = @source, warnings = NULL
                    WHERE position {{d.InIntegers("@p")}}
                    """, ct, ("@type", ErasedEntry.EventType), ("@category", ErasedEntry.Category), ("@source", ErasedEntry.Source),
                    ("@p", UserScope.JsonList(positions))).ConfigureAwait(false);
                // A consumer that has applied any of them rebuilds from the start; one that has not will skip them.
                foreach (var runner in processor.Runners)
                {
                    var cursor = await Db.ScalarAsync(connection, transaction, "SELECT position FROM consumer_cursors WHERE name = @name", ct, ("@name", runner.Name)).ConfigureAwait(false);
                    if (cursor >= positions[0])
                    {
                        await runner.ResetWithinAsync(connection, transaction, ct).ConfigureAwait(false);
                        reset.Add(runner);
                    }
                }
            }
            removed["coliseum_reports"] = await Db.ExecuteAsync(connection, transaction,
                $"DELETE FROM coliseum_reports WHERE type = 'passport' AND {d.JsonText("params", "userId")} = @u", ct, ("@u", userId)).ConfigureAwait(false);
            target = await Db.ScalarAsync(connection, transaction, "SELECT COALESCE(MAX(position), 0) FROM passport_log", ct).ConfigureAwait(false);
            await using (var insert = Db.Command(connection, transaction, """
                INSERT INTO privacy_requests (user_hash, requested_at, requested_by, suppress, removed, consumers_reset, rebuild_target)
                VALUES (@hash, @at, @by, @suppress, @removed, @reset, @target) RETURNING id
                """, ("@hash", hash), ("@at", now), ("@by", requestedBy), ("@suppress", suppress ? 1L : 0L),
                ("@removed", System.Text.Json.JsonSerializer.Serialize(removed, PrivacyJsonContext.Default.SortedDictionaryStringInt64)),
                ("@reset", string.Join(",", reset.Select(r => r.Name))), ("@target", target)))
            {
                requestId = Convert.ToInt64(await insert.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            }
            if (suppress)
            {
                await Db.ExecuteAsync(connection, transaction, """
                    INSERT INTO privacy_suppressions (user_hash, request_id, created_at) VALUES (@hash, @id, @at) ON CONFLICT (user_hash) DO NOTHING
                    """, ct, ("@hash", hash), ("@id", requestId), ("@at", now)).ConfigureAwait(false);
            }
            return 256L * positions.Count + 1024;
        }, ct).ConfigureAwait(false);

        foreach (var runner in reset)
        {
            runner.ResetCommitted();
        }
        if (reset.Count > 0)
        {
            changes.Rebuilding();
        }
        if (suppress)
        {
            suppressions.Add(hash);
        }
        LogErased(logger, requestId, removed["passport_entries"], reset.Count == 0 ? "none" : string.Join(", ", reset.Select(r => r.Name)), target, suppress);
        return requestId;
    }

    private static async Task CountAsync(DbConnection reader, SqlDialect d, UserScope scope, SortedDictionary<string, long> removed, CancellationToken cancellationToken)
    {
        var p = UserScope.JsonList(scope.Positions);
        var k = UserScope.JsonList(scope.Keys);
        var pk = UserScope.JsonList(scope.ProfileKeys);
        foreach (var (table, where) in Counted(d))
        {
            removed[table] = await Db.ScalarAsync(reader, null, $"SELECT COUNT(*) FROM {table} WHERE {where}", cancellationToken,
                ("@p", p), ("@k", k), ("@pk", pk), ("@u", scope.UserId)).ConfigureAwait(false);
        }
    }

    /// <summary>A request's audit record and, while its rebuild runs, each reset consumer's progress; null when there is no such request.</summary>
    public async Task<PrivacyRequestView?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        string hash, requestedBy, removedJson, consumersReset;
        long requestedAt, suppress, target;
        await using (var command = Db.Command(connection, null,
            "SELECT user_hash, requested_at, requested_by, suppress, removed, consumers_reset, rebuild_target FROM privacy_requests WHERE id = @id", ("@id", id)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            // Read whole and closed before the next query: PostgreSQL runs one command at a time per connection.
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
            (hash, requestedAt, requestedBy, suppress, removedJson, consumersReset, target) =
                (reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4), reader.GetString(5), reader.GetInt64(6));
        }
        var progress = new List<RebuildProgress>();
        foreach (var name in consumersReset.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var cursor = await Db.ScalarAsync(connection, null, "SELECT position FROM consumer_cursors WHERE name = @name", cancellationToken, ("@name", name)).ConfigureAwait(false);
            progress.Add(new RebuildProgress(name, cursor, cursor >= target));
        }
        var removed = System.Text.Json.JsonSerializer.Deserialize(removedJson, PrivacyJsonContext.Default.SortedDictionaryStringInt64)!;
        return new PrivacyRequestView(id, progress.All(p => p.Done) ? "done" : "rebuilding", hash,
            Reports.ReportReader.Iso(requestedAt)!, requestedBy, suppress == 1, removed, target, progress);
    }

    [LoggerMessage(EventId = 70, Level = LogLevel.Information, Message = "Privacy request {RequestId}: {Entries} log entries erased; rebuilding {Consumers} up to position {Target}; suppress {Suppress}")]
    private static partial void LogErased(ILogger logger, long requestId, long entries, string consumers, long target, bool suppress);
}
