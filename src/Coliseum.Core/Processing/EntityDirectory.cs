namespace Coliseum.Processing;

/// <summary>
/// Display names of artists, tracks, events, users, cities and playlists (<c>coliseum_entities</c>).
/// Names set here (source <c>api</c>) win over names taken from events and survive a replay.
/// </summary>
public static class EntityDirectory
{
    public static async Task<EntityName?> FindAsync(IProcessorStore store, string type, string id, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Db.Command(connection, null, "SELECT name, source, updated_at FROM coliseum_entities WHERE entity_type = @t AND entity_id = @i", ("@t", type), ("@i", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new EntityName(type, id, reader.GetString(0), reader.GetString(1), reader.GetInt64(2))
            : null;
    }

    /// <summary>Sets a name (source <c>api</c>) and renames the entity on every materialised board, in one transaction.</summary>
    public static async Task<EntityName> SetAsync(IProcessorStore store, string type, string id, string name, long now, CancellationToken cancellationToken)
    {
        await store.WriteAsync(async (connection, transaction) =>
        {
            await Db.ExecuteAsync(connection, transaction, """
                INSERT INTO coliseum_entities (entity_type, entity_id, name, source, updated_at) VALUES (@t, @i, @n, 'api', @now)
                ON CONFLICT (entity_type, entity_id) DO UPDATE SET name = excluded.name, source = 'api', updated_at = excluded.updated_at
                """, cancellationToken, ("@t", type), ("@i", id), ("@n", name), ("@now", now)).ConfigureAwait(false);
            await Db.ExecuteAsync(connection, transaction, "UPDATE coliseum_leaderboards SET entity_name = @n WHERE entity_type = @t AND entity_id = @i",
                cancellationToken, ("@n", name), ("@t", type), ("@i", id)).ConfigureAwait(false);
            return 200;
        }, cancellationToken).ConfigureAwait(false);
        return new EntityName(type, id, name, "api", now);
    }
}

public sealed record EntityName(string EntityType, string EntityId, string Name, string Source, long UpdatedAt);
