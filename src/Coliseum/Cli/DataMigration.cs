using System.Globalization;
using Coliseum.Storage;
using Coliseum.Storage.Postgres;
using Coliseum.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Coliseum.Cli;

/// <summary>
/// The copy behind <c>coliseum migrate-data</c>, from a SQLite database (only read) into a PostgreSQL schema.
/// The log goes through <see cref="PostgresPassportStore.AppendAsync"/> in position order, a batch per transaction,
/// and must come out at the same positions: the source has to be gap-free from 1, and after every batch the
/// target's head must be the batch's last position (nothing else writes there). Because the target then always
/// holds a prefix of the source, a run that stopped part way (Ctrl-C, a lost connection) is continued by running it
/// again. Keys and the small tables are merged (a row already there is kept), so they may be copied again too.
/// </summary>
internal sealed partial class DataMigration(string sourcePath, NpgsqlDataSource target, string schema) : IAsyncDisposable
{
    /// <summary>Tables not derived from the log, copied row by row when the source has them: the erasure audit trail,
    /// the users capture drops, and requested reports (a pending one is computed on PostgreSQL when serve starts).</summary>
    private static readonly string[] CopiedTables = ["privacy_requests", "privacy_suppressions", "coliseum_reports"];

    /// <summary>How many positions of an earlier partial copy are compared with the source before continuing it.</summary>
    private const int ResumeSamples = 64;

    private readonly SqlitePassportStore _source = new(sourcePath);
    // Serial: an append that fails (a lost connection) must leave no gap, so that running the copy again continues it.
    private readonly PostgresPassportStore _target = new(target, schema) { SerialAppends = true };
    private readonly string _sourceConnectionString = new SqliteConnectionStringBuilder { DataSource = sourcePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 30 }.ToString();

    /// <summary>
    /// Applies the PostgreSQL migrations, decides where the log copy starts (0, or the end of an earlier partial
    /// copy of this source) or why it must not, and copies the small tables. They go first so that a later run can
    /// tell an erasure made on the source after this copy began (its request would be missing on the target).
    /// </summary>
    public async Task<MigrationPlan> PrepareAsync(CancellationToken cancellationToken)
    {
        await _target.InitializeAsync(cancellationToken);
        var to = await _source.GetHeadAsync(cancellationToken);
        var from = await _target.GetHeadAsync(cancellationToken);
        var sourceRequests = await SourceRequestIdsAsync(cancellationToken);
        if (from > 0)
        {
            if (from > to)
            {
                return MigrationPlan.Refused($"{schema} is not empty: its log holds {from:N0} entries, more than the source's {to:N0}, so it is not an earlier copy of this log. " + NotEmpty);
            }
            if (await FirstDifferenceAsync(from, cancellationToken) is { } difference)
            {
                return MigrationPlan.Refused($"{schema} is not empty: its log holds {from:N0} entries and {difference}, so it is not an earlier copy of this log. " + NotEmpty);
            }
            var targetRequests = await TargetRequestIdsAsync(cancellationToken);
            if (targetRequests is not null && sourceRequests.Except(targetRequests).FirstOrDefault() is var missing and > 0)
            {
                return MigrationPlan.Refused(ErasedSince(missing));
            }
        }

        var tables = new List<TableCopy>();
        foreach (var table in CopiedTables)
        {
            var copy = await PlanTableAsync(table, cancellationToken);
            if (copy.Refusal is not null)
            {
                return MigrationPlan.Refused(copy.Refusal);
            }
            tables.Add(copy);
        }
        var copied = new List<TableCopy>();
        foreach (var table in tables)
        {
            copied.Add(await CopyTableAsync(table, cancellationToken));
        }
        return new MigrationPlan(from, to, null, copied, sourceRequests);
    }

    private const string NotEmpty = "migrate-data copies only into a schema whose log is empty, or continues its own interrupted copy; choose another --schema, or drop this one's tables.";

    private static string ErasedSince(long request) =>
        $"a user's data was erased on the source (privacy request {request}) after this copy began, so log entries already copied may still hold what it erased. " +
        "Empty the target schema and copy again, with coliseum serve stopped.";

    /// <summary>Copies the log from <see cref="MigrationPlan.From"/> to <see cref="MigrationPlan.To"/>; returns how many entries were copied.</summary>
    /// <param name="progress">(entries copied by this run, entries this run copies).</param>
    public async Task<long> CopyLogAsync(MigrationPlan plan, int batch, Action<long, long> progress, CancellationToken cancellationToken)
    {
        var last = plan.From;
        // The next batch is read from SQLite while this one is copied into PostgreSQL.
        Task<IReadOnlyList<PassportEntry>>? next = last < plan.To ? ReadAsync(last, batch, cancellationToken) : null;
        while (next is not null)
        {
            var entries = await next;
            var count = entries.TakeWhile(e => e.Position <= plan.To).Count();
            if (count == 0)
            {
                throw new MigrationException($"the source log ended at position {last:N0}, before its head {plan.To:N0}; was it changed during the copy?");
            }
            // Entries before a gap are copied, then the copy stops at it.
            var gap = -1;
            for (var i = 0; i < count && gap < 0; i++)
            {
                gap = entries[i].Position == last + 1 + i ? -1 : i;
            }
            if (gap >= 0)
            {
                count = gap;
            }
            if (count == 0)
            {
                throw Gap(last, entries[0].Position);
            }
            var end = entries[count - 1].Position;
            next = gap < 0 && end < plan.To ? ReadAsync(end, batch, cancellationToken) : null;

            var records = entries.Take(count).Select(e => e.Record).ToList();
            var inserted = new bool[count];
            try
            {
                await _target.AppendAsync(records, inserted, cancellationToken);
            }
            catch (ArgumentException ex)
            {
                // PostgresText.RefuseNul: nothing of this batch was written.
                throw new MigrationException($"{ex.Message.Split(" (Parameter", 2)[0]}. PostgreSQL cannot store it; entries 1 to {last:N0} are copied, and the entry must be fixed in the source before the copy can go on.");
            }
            if (Array.IndexOf(inserted, false) is var skipped and >= 0)
            {
                throw new MigrationException($"message id {records[skipped].MessageId} (position {last + 1 + skipped:N0}) is already in the target log, so the positions would shift; something else is writing to {schema}.");
            }
            var head = await _target.GetHeadAsync(cancellationToken);
            if (head != end)
            {
                throw new MigrationException($"after copying entries up to {end:N0} the target's log ends at {head:N0}: something else is writing to {schema} (is coliseum serve running on it?). Empty it and copy again with nothing else running there.");
            }
            last = end;
            progress(last - plan.From, plan.To - plan.From);
            if (gap >= 0)
            {
                throw Gap(last, entries[gap].Position);
            }
        }
        return last - plan.From;
    }

    private static MigrationException Gap(long last, long next) => new(
        $"the source log has a gap: there is no entry {last + 1:N0} (the next one is {next:N0}). PostgreSQL numbers the log " +
        "without gaps, so every later entry would move to another position; migrate-data stops rather than renumber. " +
        $"Entries 1 to {last:N0} are copied.");

    /// <summary>Fails when the source has a privacy request it did not have when the copy began (an erasure during the copy).</summary>
    public async Task CheckNoErasureSinceAsync(MigrationPlan plan, CancellationToken cancellationToken)
    {
        if ((await SourceRequestIdsAsync(cancellationToken)).Except(plan.SourceRequestIds).FirstOrDefault() is var request and > 0)
        {
            throw new MigrationException(ErasedSince(request));
        }
    }

    /// <summary>
    /// Merges the keys by hash through the key store's own import; a key revoked in the source is then revoked on the
    /// target at the same time (ImportAsync stores new keys as valid, and RevokeAsync keeps an earlier revocation).
    /// </summary>
    public async Task<KeyCopy> CopyKeysAsync(CancellationToken cancellationToken)
    {
        if (!await SourceHasTableAsync("coliseum_keys", cancellationToken))
        {
            return new KeyCopy(0, 0, 0, 0);
        }
        var sourceStore = new SqliteKeyStore(sourcePath);
        var targetStore = new PostgresKeyStore(target);
        var keys = await sourceStore.ListAsync(cancellationToken);
        var added = await targetStore.ImportAsync([.. keys.Select(k => new NewKey(k.Name, k.Role, k.Sha256, k.Prefix, k.Source, k.CreatedAt))], cancellationToken);
        var stored = (await targetStore.ListAsync(cancellationToken)).ToDictionary(k => k.Sha256, StringComparer.Ordinal);
        var revoked = 0;
        foreach (var key in keys)
        {
            if (key.RevokedAt is { } at && stored[key.Sha256].RevokedAt is null)
            {
                await targetStore.RevokeAsync(stored[key.Sha256].Id, at, cancellationToken);
                revoked++;
            }
        }
        var hashes = keys.Select(k => k.Sha256).ToHashSet(StringComparer.Ordinal);
        return new KeyCopy(keys.Count, added, revoked, stored.Keys.Count(h => !hashes.Contains(h)));
    }

    private Task<IReadOnlyList<PassportEntry>> ReadAsync(long after, int limit, CancellationToken cancellationToken) =>
        Task.Run(() => _source.ReadAsync(after, limit, cancellationToken), cancellationToken);

    /// <summary>Compares the message id, type and times at positions 1, <paramref name="head"/> and evenly between; null when all match.</summary>
    private async Task<string?> FirstDifferenceAsync(long head, CancellationToken cancellationToken)
    {
        var positions = Enumerable.Range(0, ResumeSamples).Select(i => 1 + (head - 1) * i / (ResumeSamples - 1)).Distinct();
        foreach (var position in positions)
        {
            var a = (await _source.ReadAsync(position - 1, 1, cancellationToken)).FirstOrDefault();
            var b = (await _target.ReadAsync(position - 1, 1, cancellationToken)).FirstOrDefault();
            if (a is null || b is null || a.Position != position || b.Position != position)
            {
                return $"entry {position:N0} is missing on one side";
            }
            if (a.Record.MessageId != b.Record.MessageId || a.Record.EventType != b.Record.EventType
                || a.Record.OccurredAt != b.Record.OccurredAt || a.Record.ReceivedAt != b.Record.ReceivedAt)
            {
                return $"entry {position:N0} differs (message id {b.Record.MessageId} there, {a.Record.MessageId} in the source)";
            }
        }
        return null;
    }

    public async ValueTask DisposeAsync() => await _source.DisposeAsync();
}

internal sealed class MigrationException(string message) : Exception(message);

/// <param name="From">The target's head when the run began: entries 1 to From are already copied.</param>
/// <param name="To">The source's head when the run began: the copy stops there.</param>
/// <param name="Refusal">Why nothing may be copied into this target, or null.</param>
/// <param name="SourceRequestIds">The source's privacy request ids when the copy began.</param>
internal sealed record MigrationPlan(long From, long To, string? Refusal, IReadOnlyList<TableCopy> Tables, IReadOnlySet<long> SourceRequestIds)
{
    public static MigrationPlan Refused(string why) => new(0, 0, why, [], new HashSet<long>());
}

internal sealed record KeyCopy(int Source, int Added, int Revoked, int OnlyInTarget);
