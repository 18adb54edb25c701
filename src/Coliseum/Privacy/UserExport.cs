using System.Data.Common;
using System.Text.Json;
using Coliseum.Processing;

namespace Coliseum.Privacy;

/// <summary>
/// <c>GET /api/privacy/users/{userId}/export</c>: everything Coliseum holds about one user, as one JSON
/// document written to the response as it is read (row by row, flushed every 32 KB), so a user with
/// millions of entries costs no more memory than one with ten. Column names are the tables' own.
/// </summary>
internal static class UserExport
{
    private const int FlushBytes = 32 * 1024;

    /// <summary>Columns holding JSON text, written as JSON rather than as strings.</summary>
    private static readonly HashSet<string> JsonColumns = new(StringComparer.Ordinal)
    {
        "metadata", "context", "traits", "consent", "preferences", "field_positions", "influence", "params", "result", "removed",
    };

    private static (string Name, string Sql)[] Sections(SqlDialect d) =>
    [
        ("entries", $"""
            SELECT position, message_id, event_type, event_category, user_id, anonymous_id, session_id, device_id, entity_type, entity_id,
                metadata, context, occurred_at, client_at, sent_at, received_at, source, warnings
            FROM passport_log WHERE user_id = @u OR (user_id IS NULL AND anonymous_id {d.InTexts("@a")}) ORDER BY position
            """),
        ("profiles", $"SELECT * FROM mediaid_profiles WHERE user_id {d.InTexts("@pk")} ORDER BY user_id"),
        ("profileEvents", $"SELECT * FROM mediaid_profile_events WHERE user_id {d.InTexts("@pk")} ORDER BY user_id, event_type"),
        ("identityLinks", "SELECT * FROM mediaid_identity_links WHERE user_id = @u ORDER BY position"),
        ("dna", $"SELECT * FROM mediaid_dna WHERE user_id {d.InTexts("@pk")} ORDER BY user_id, kind, key"),
        ("dnaInfluence", $"SELECT * FROM mediaid_dna_influence WHERE user_id {d.InTexts("@pk")} ORDER BY position"),
        ("ledger", $"""
            SELECT * FROM treasury_ledger
            WHERE (owner_type = 'user' AND owner_id {d.InTexts("@k")}) OR user_id {d.InTexts("@k")} ORDER BY position, seq
            """),
        ("balances", $"SELECT * FROM treasury_balances WHERE owner_type = 'user' AND owner_id {d.InTexts("@k")} ORDER BY owner_id, currency"),
        ("subscriptions", $"SELECT * FROM treasury_subscriptions WHERE user_id {d.InTexts("@k")} ORDER BY user_id, plan"),
        ("metrics", $"SELECT * FROM coliseum_metrics WHERE user_id {d.InTexts("@k")} ORDER BY position, seq"),
        ("rollups", $"SELECT * FROM coliseum_rollups WHERE entity_type = 'user' AND entity_id {d.InTexts("@k")} ORDER BY entity_id, metric_type, currency, bucket, bucket_start"),
        ("breakdowns", $"SELECT * FROM coliseum_breakdowns WHERE subject_type = 'user' AND subject_id {d.InTexts("@k")} ORDER BY subject_id, dimension, bucket_start, dimension_id"),
        ("votes", $"SELECT * FROM coliseum_votes WHERE user_id {d.InTexts("@k")} ORDER BY user_id, event_id, artist_id"),
        ("touchpoints", $"SELECT * FROM coliseum_touchpoints WHERE user_id {d.InTexts("@k")} ORDER BY occurred_at, position"),
        ("attributions", $"SELECT * FROM conversion_attributions WHERE user_id {d.InTexts("@k")} ORDER BY position, model"),
        ("reports", $"SELECT id, type, params, status, created_at, completed_at, result FROM coliseum_reports WHERE type = 'passport' AND {d.JsonText("params", "userId")} = @u ORDER BY id"),
        ("privacyRequests", "SELECT id, requested_at, requested_by, suppress, removed FROM privacy_requests WHERE user_hash = @hash ORDER BY id"),
    ];

    public static async Task WriteAsync(HttpContext http, IProcessorStore store, string userId, TimeProvider time, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReaderAsync(cancellationToken);
        // One read transaction: every section reflects the same moment.
        await using var snapshot = await connection.BeginTransactionAsync(cancellationToken);
        var head = await Db.ScalarAsync(connection, snapshot, "SELECT COALESCE(MAX(position), 0) FROM passport_log", cancellationToken);
        var scope = new UserScope(userId, store.Dialect);
        await scope.AddAsync(connection, snapshot, 0, head, cancellationToken);
        var hash = Suppressions.Hash(userId);
        var suppressed = await Db.ScalarAsync(connection, snapshot, "SELECT COUNT(*) FROM privacy_suppressions WHERE user_hash = @h", cancellationToken, ("@h", hash)) > 0;

        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.ContentDisposition = "attachment; filename=\"coliseum-user-export.json\"";
        await using var writer = new Utf8JsonWriter(http.Response.Body, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartObject();
        writer.WriteString("userId", userId);
        writer.WriteString("exportedAt", Reports.ReportReader.Iso(time.GetUtcNow().ToUnixTimeMilliseconds()));
        writer.WriteNumber("logHead", head);
        writer.WriteStartArray("anonymousIds");
        foreach (var id in scope.AnonymousIds.Order(StringComparer.Ordinal))
        {
            writer.WriteStringValue(id);
        }
        writer.WriteEndArray();
        writer.WriteBoolean("suppressed", suppressed);
        var parameters = new (string, object?)[]
        {
            ("@u", userId), ("@a", UserScope.JsonList(scope.AnonymousIds)), ("@k", UserScope.JsonList(scope.Keys)),
            ("@pk", UserScope.JsonList(scope.ProfileKeys)), ("@hash", hash),
        };
        foreach (var (name, sql) in Sections(store.Dialect))
        {
            writer.WriteStartArray(name);
            await using (var command = Db.Command(connection, snapshot, sql, parameters))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    WriteRow(writer, reader);
                    if (writer.BytesPending > FlushBytes)
                    {
                        await writer.FlushAsync(cancellationToken);
                    }
                }
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken);
    }

    private static void WriteRow(Utf8JsonWriter writer, DbDataReader reader)
    {
        writer.WriteStartObject();
        for (var i = 0; i < reader.FieldCount; i++)
        {
            var column = reader.GetName(i);
            if (reader.IsDBNull(i))
            {
                writer.WriteNull(column);
                continue;
            }
            switch (reader.GetValue(i))
            {
                case long number:
                    writer.WriteNumber(column, number);
                    break;
                case double real:
                    writer.WriteNumber(column, real);
                    break;
                case string text when JsonColumns.Contains(column):
                    writer.WritePropertyName(column);
                    writer.WriteRawValue(text);
                    break;
                case string text:
                    writer.WriteString(column, text);
                    break;
                case var other:
                    writer.WriteString(column, Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture));
                    break;
            }
        }
        writer.WriteEndObject();
    }
}
