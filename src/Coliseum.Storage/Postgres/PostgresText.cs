using System.Text;
using Coliseum.Capture;

namespace Coliseum.Storage.Postgres;

/// <summary>What PostgreSQL's <c>text</c> and <c>jsonb</c> cannot hold, and the JSON text <c>jsonb</c> gives back.</summary>
internal static class PostgresText
{
    /// <summary>
    /// Refuses a record PostgreSQL cannot store: a NUL character in a text field, or <c>\u0000</c> in a JSON
    /// string (jsonb rejects it). Thrown before the transaction starts, naming the message id and field, so
    /// the caller can tell which record to turn away; SQLite stores such records, PostgreSQL does not.
    /// </summary>
    public static void RefuseNul(PassportRecord r)
    {
        Text(r, r.MessageId, "messageId");
        Text(r, r.EventType, "eventType");
        Text(r, r.EventCategory, "eventCategory");
        Text(r, r.UserId, "userId");
        Text(r, r.AnonymousId, "anonymousId");
        Text(r, r.SessionId, "sessionId");
        Text(r, r.DeviceId, "deviceId");
        Text(r, r.EntityType, "entityType");
        Text(r, r.EntityId, "entityId");
        Text(r, r.Source, "source");
        Text(r, r.Warnings, "warnings");
        Json(r, r.Metadata, "metadata");
        Json(r, r.Context, "context");
    }

    private static void Text(PassportRecord r, string? value, string field)
    {
        if (value is not null && value.Contains('\0', StringComparison.Ordinal))
        {
            throw Refused(r, field);
        }
    }

    private static void Json(PassportRecord r, byte[]? json, string field)
    {
        if (json is not null && JsonNul.HasEscape(json))
        {
            throw Refused(r, field);
        }
    }

    private static ArgumentException Refused(PassportRecord r, string field) => new(
        $"record '{r.MessageId.Replace("\0", "\\u0000", StringComparison.Ordinal)}': {field} contains a NUL character (\\u0000), which PostgreSQL cannot store",
        nameof(r));

    /// <summary>
    /// jsonb's text form without the blanks it puts after ':' and ',' (the only whitespace outside strings it
    /// writes), so a stored <c>{"v":1}</c> reads back as <c>{"v":1}</c>. Key order and escapes stay jsonb's own.
    /// </summary>
    public static byte[] CompactJson(string jsonb)
    {
        var source = Encoding.UTF8.GetBytes(jsonb);
        var length = 0;
        var inString = false;
        var escaped = false;
        foreach (var b in source)
        {
            if (inString)
            {
                if (escaped)
                {
                    escaped = false;
                }
                else if (b == (byte)'\\')
                {
                    escaped = true;
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }
            }
            else if (b == (byte)'"')
            {
                inString = true;
            }
            else if (b is (byte)' ' or (byte)'\n' or (byte)'\t' or (byte)'\r')
            {
                continue;
            }
            source[length++] = b;
        }
        return source.AsSpan(0, length).ToArray();
    }
}
