using System.Buffers;
using System.Data.Common;
using System.Text.Json;
using Coliseum.Processing;
using Coliseum.Processing.Mediaid;

namespace Coliseum.Privacy;

/// <summary>
/// Which log entries are one user's: those with their <c>userId</c>, and the anonymous-only entries of
/// the anonymous ids that are theirs (linked to them in <c>mediaid_identity_links</c>, or seen on their
/// own entries and not linked to anyone else: the first link wins, as in the mediaid consumer).
/// </summary>
/// <remarks>
/// The log has no index on user_id (capture's append rate matters more), so finding a user's entries
/// is a scan; <see cref="AddAsync"/> scans one range of positions, so an erasure can scan most of the log
/// on a reader (not holding the writer) and only the newest tail inside its write transaction.
/// </remarks>
internal sealed class UserScope(string userId, SqlDialect d)
{
    private readonly HashSet<long> _positions = [];

    public string UserId => userId;

    public HashSet<string> AnonymousIds { get; } = new(StringComparer.Ordinal);

    /// <summary>The user's log positions, ascending.</summary>
    public List<long> Positions => [.. _positions.Order()];

    /// <summary>The ids the coliseum and treasury consumers file the user's rows under (userId, else anonymousId).</summary>
    public List<string> Keys => [userId, .. AnonymousIds.Order(StringComparer.Ordinal)];

    /// <summary>The mediaid profile keys: the user, and the <c>anon:</c> profiles of anonymous ids not merged yet.</summary>
    public List<string> ProfileKeys => [userId, .. AnonymousIds.Order(StringComparer.Ordinal).Select(MediaidConsumer.AnonymousKey)];

    /// <summary>Adds the user's entries with positions in (<paramref name="after"/>, <paramref name="upTo"/>].</summary>
    public async Task AddAsync(DbConnection connection, DbTransaction? transaction, long after, long upTo, CancellationToken cancellationToken)
    {
        var candidates = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = Db.Command(connection, transaction,
            "SELECT position, anonymous_id FROM passport_log WHERE user_id = @u AND position > @after AND position <= @upTo",
            ("@u", userId), ("@after", after), ("@upTo", upTo)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                _positions.Add(reader.GetInt64(0));
                if (!reader.IsDBNull(1))
                {
                    candidates.Add(reader.GetString(1));
                }
            }
        }
        await using (var command = Db.Command(connection, transaction, "SELECT anonymous_id FROM mediaid_identity_links WHERE user_id = @u", ("@u", userId)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                candidates.Add(reader.GetString(0));
            }
        }
        candidates.ExceptWith(AnonymousIds);
        if (candidates.Count > 0)
        {
            await using var command = Db.Command(connection, transaction,
                $"SELECT anonymous_id FROM mediaid_identity_links WHERE anonymous_id {d.InTexts("@a")} AND user_id <> @u",
                ("@a", JsonList(candidates)), ("@u", userId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                candidates.Remove(reader.GetString(0)); // another user's device: its anonymous entries are theirs
            }
        }
        // Anonymous ids new to this scope: their entries anywhere up to upTo; the ones known already: only in this range.
        await AddAnonymousAsync(connection, transaction, candidates, 0, upTo, cancellationToken).ConfigureAwait(false);
        await AddAnonymousAsync(connection, transaction, AnonymousIds, after, upTo, cancellationToken).ConfigureAwait(false);
        AnonymousIds.UnionWith(candidates);
    }

    private async Task AddAnonymousAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyCollection<string> ids, long after, long upTo, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }
        await using var command = Db.Command(connection, transaction, $"""
            SELECT position FROM passport_log
            WHERE user_id IS NULL AND anonymous_id {d.InTexts("@a")} AND position > @after AND position <= @upTo
            """, ("@a", JsonList(ids)), ("@after", after), ("@upTo", upTo));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            _positions.Add(reader.GetInt64(0));
        }
    }

    /// <summary>A JSON array of strings, for <see cref="SqlDialect.InTexts"/> (one parameter however many values).</summary>
    public static string JsonList(IEnumerable<string> values)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }
            writer.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string JsonList(IEnumerable<long> values) => "[" + string.Join(",", values) + "]";
}
