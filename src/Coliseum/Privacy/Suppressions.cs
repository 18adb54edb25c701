using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using Coliseum.Capture;
using Coliseum.Processing;

namespace Coliseum.Privacy;

/// <summary>
/// Users whose events capture drops (an erasure with <c>?suppress=true</c>), held as SHA-256 hashes of
/// their ids only. A dropped event is acknowledged as if stored: a client would otherwise retry it
/// forever, and a different answer would tell any caller that this user was erased.
/// </summary>
internal sealed class Suppressions
{
    private static readonly Meter Meter = new(Diagnostics.ColiseumMetrics.MeterName);
    private static readonly Counter<long> Dropped = Meter.CreateCounter<long>("coliseum.events.suppressed", "{event}", "Events acknowledged and dropped because their user asked to be erased and suppressed");

    private FrozenSet<string> _hashes;
    private (long Count, long Newest) _version;

    private Suppressions(IEnumerable<string> hashes, (long, long) version)
    {
        _hashes = hashes.ToFrozenSet(StringComparer.Ordinal);
        _version = version;
    }

    /// <summary>
    /// Reads the suppressed hashes at start. The list changes only through erasures: this process's
    /// <see cref="Add"/> them at once; another process's are picked up by <see cref="RefreshAsync"/>.
    /// </summary>
    public static async Task<Suppressions> LoadAsync(IProcessorStore store, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        var version = await VersionAsync(connection, cancellationToken).ConfigureAwait(false);
        return new Suppressions(await ReadAsync(connection, cancellationToken).ConfigureAwait(false), version);
    }

    /// <summary>Re-reads the list when rows were added since it was read (rows are never deleted); true when it did.</summary>
    public async Task<bool> RefreshAsync(IProcessorStore store, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        var version = await VersionAsync(connection, cancellationToken).ConfigureAwait(false);
        if (version == _version)
        {
            return false;
        }
        var hashes = await ReadAsync(connection, cancellationToken).ConfigureAwait(false);
        lock (this)
        {
            // Hashes added here meanwhile stay: the union is never smaller than either.
            _hashes = _hashes.Union(hashes).ToFrozenSet(StringComparer.Ordinal);
            _version = version;
        }
        return true;
    }

    private static async Task<(long, long)> VersionAsync(System.Data.Common.DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = Db.Command(connection, null, "SELECT COUNT(*), COALESCE(MAX(request_id), 0) FROM privacy_suppressions");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (Db.Int64(reader, 0) ?? 0, Db.Int64(reader, 1) ?? 0);
    }

    private static async Task<List<string>> ReadAsync(System.Data.Common.DbConnection connection, CancellationToken cancellationToken)
    {
        var hashes = new List<string>();
        await using var command = Db.Command(connection, null, "SELECT user_hash FROM privacy_suppressions");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            hashes.Add(reader.GetString(0));
        }
        return hashes;
    }

    /// <summary>Lower-case hex SHA-256 of the UTF-8 user id: what the audit and suppression tables hold instead of the id.</summary>
    public static string Hash(string userId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId)));

    public bool IsEmpty => Volatile.Read(ref _hashes).Count == 0;

    public bool Contains(string userId) => !IsEmpty && Volatile.Read(ref _hashes).Contains(Hash(userId));

    public void Add(string hash)
    {
        lock (this)
        {
            _hashes = _hashes.Append(hash).ToFrozenSet(StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// The records to store, and for each given record its index among them (-1 when dropped); null when
    /// nothing is suppressed (the common case costs one check, no hashing).
    /// </summary>
    public (IReadOnlyList<PassportRecord> Kept, int[]? Map) Filter(IReadOnlyList<PassportRecord> records)
    {
        if (IsEmpty)
        {
            return (records, null);
        }
        var hashes = Volatile.Read(ref _hashes);
        List<PassportRecord>? kept = null;
        int[]? map = null;
        for (var i = 0; i < records.Count; i++)
        {
            var user = records[i].UserId;
            if (user is not null && hashes.Contains(Hash(user)))
            {
                if (map is null)
                {
                    map = new int[records.Count];
                    kept = new List<PassportRecord>(records.Count);
                    for (var j = 0; j < i; j++)
                    {
                        map[j] = j;
                        kept.Add(records[j]);
                    }
                }
                map[i] = -1;
                Dropped.Add(1);
                continue;
            }
            if (map is not null)
            {
                map[i] = kept!.Count;
                kept.Add(records[i]);
            }
        }
        return map is null ? (records, null) : (kept!, map);
    }

    /// <summary>The outcome for every given record: a dropped one counts as stored.</summary>
    public static AppendOutcome Acknowledge(AppendOutcome? stored, int[] map)
    {
        var inserted = new bool[map.Length];
        for (var i = 0; i < map.Length; i++)
        {
            inserted[i] = map[i] < 0 || stored!.Inserted[map[i]];
        }
        return new AppendOutcome(inserted);
    }
}
