using System.Data.Common;
using Coliseum.Storage;

namespace Coliseum.Processing;

/// <summary>Entries a consumer could not apply, kept in <c>consumer_dead_letters</c> with the error.</summary>
public static class DeadLetters
{
    private const int MaxErrorLength = 2_000;

    internal static Task AddAsync(DbConnection connection, DbTransaction transaction, string consumer, PassportEntry entry, Exception error, int attempts, long now, CancellationToken cancellationToken) =>
        Db.ExecuteAsync(connection, transaction, """
            INSERT INTO consumer_dead_letters (consumer, position, event_type, error, attempts, failed_at)
            VALUES (@consumer, @position, @type, @error, @attempts, @now)
            ON CONFLICT (consumer, position) DO UPDATE SET error = excluded.error, attempts = consumer_dead_letters.attempts + excluded.attempts,
                failed_at = excluded.failed_at, resolved_at = NULL
            """, cancellationToken, ("@consumer", consumer), ("@position", entry.Position), ("@type", entry.Record.EventType),
            ("@error", Describe(error)), ("@attempts", (long)attempts), ("@now", now));

    internal static Task ResolveAsync(DbConnection connection, DbTransaction transaction, string consumer, long position, long now, CancellationToken cancellationToken) =>
        Db.ExecuteAsync(connection, transaction, "UPDATE consumer_dead_letters SET resolved_at = @now, retried_at = @now WHERE consumer = @consumer AND position = @position",
            cancellationToken, ("@now", now), ("@consumer", consumer), ("@position", position));

    internal static async Task<long> FailedAgainAsync(DbConnection connection, DbTransaction transaction, string consumer, long position, string error, long now, CancellationToken cancellationToken)
    {
        await Db.ExecuteAsync(connection, transaction, """
            UPDATE consumer_dead_letters SET error = @error, attempts = attempts + 1, retried_at = @now WHERE consumer = @consumer AND position = @position
            """, cancellationToken, ("@error", Truncate(error)), ("@now", now), ("@consumer", consumer), ("@position", position)).ConfigureAwait(false);
        return 0;
    }

    internal static async Task<IReadOnlyList<long>> OpenPositionsAsync(IProcessorStore store, string consumer, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Db.Command(connection, null, "SELECT position FROM consumer_dead_letters WHERE consumer = @consumer AND resolved_at IS NULL ORDER BY position", ("@consumer", consumer));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var positions = new List<long>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            positions.Add(reader.GetInt64(0));
        }
        return positions;
    }

    /// <summary>Open dead letters, newest first, at most <paramref name="limit"/>.</summary>
    public static async Task<IReadOnlyList<DeadLetter>> ListAsync(IProcessorStore store, string? consumer, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Db.Command(connection, null, """
            SELECT consumer, position, event_type, error, attempts, failed_at, retried_at FROM consumer_dead_letters
            WHERE resolved_at IS NULL AND (CAST(@consumer AS text) IS NULL OR consumer = @consumer) ORDER BY position DESC LIMIT @limit
            """, ("@consumer", consumer), ("@limit", (long)limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<DeadLetter>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new DeadLetter(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetInt64(5), Db.Int64(reader, 6)));
        }
        return list;
    }

    private static string Describe(Exception error) => Truncate($"{error.GetType().Name}: {error.Message}");

    private static string Truncate(string text) => text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
}

public sealed record DeadLetter(string Consumer, long Position, string EventType, string Error, long Attempts, long FailedAt, long? RetriedAt);
