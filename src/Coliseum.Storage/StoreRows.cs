using System.Data.Common;
using Coliseum.Capture;

namespace Coliseum.Storage;

/// <summary>
/// Rows every backend reads the same way: a <c>passport_log</c> entry and a <c>coliseum_keys</c> row, in the
/// column order of <see cref="EntryColumns"/> and <see cref="KeyColumns"/>. Only how JSON text comes back
/// differs (SQLite keeps the bytes sent; jsonb hands back its own form), so that is the caller's.
/// </summary>
internal static class StoreRows
{
    public const string KeyColumns = "id, name, role, sha256, prefix, source, created_at, revoked_at";

    public const string EntryColumns = """
        position, message_id, event_type, event_category, user_id, anonymous_id, session_id, device_id,
        entity_type, entity_id, metadata, context, occurred_at, client_at, sent_at, received_at, source, warnings
        """;

    public static PassportEntry Entry(DbDataReader r, Func<string, byte[]> json) => new(r.GetInt64(0), new PassportRecord
    {
        MessageId = r.GetString(1),
        EventType = r.GetString(2),
        EventCategory = r.GetString(3),
        UserId = Text(r, 4),
        AnonymousId = Text(r, 5),
        SessionId = Text(r, 6),
        DeviceId = Text(r, 7),
        EntityType = Text(r, 8),
        EntityId = Text(r, 9),
        Metadata = json(r.GetString(10)),
        Context = r.IsDBNull(11) ? null : json(r.GetString(11)),
        OccurredAt = r.GetInt64(12),
        ClientAt = r.GetInt64(13),
        SentAt = r.IsDBNull(14) ? null : r.GetInt64(14),
        ReceivedAt = r.GetInt64(15),
        Source = r.GetString(16),
        Warnings = Text(r, 17),
    });

    /// <summary>Every <see cref="KeyColumns"/> row the command returns.</summary>
    public static async Task<IReadOnlyList<StoredKey>> KeysAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var keys = new List<StoredKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            keys.Add(new StoredKey(reader.GetInt64(0), Text(reader, 1), KeyRoleNames.Parse(reader.GetString(2)),
                reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetInt64(6), reader.IsDBNull(7) ? null : reader.GetInt64(7)));
        }
        return keys;
    }

    private static string? Text(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);
}
