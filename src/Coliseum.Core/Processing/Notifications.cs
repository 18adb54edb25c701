namespace Coliseum.Processing;

/// <summary>
/// What PostgreSQL's <c>NOTIFY</c> carries between processes sharing one database. One channel for every
/// schema (a channel name holds at most 63 bytes, a schema name as many), with the schema first in the
/// payload, so a listener keeps only its own schema's: <c>"{schema} log {head}"</c> when an append commits,
/// <c>"{schema} cursor {consumer} {position}"</c> when a consumer commits.
/// </summary>
public static class Notifications
{
    public const string Channel = "coliseum";

    /// <summary>A parsed payload; <see cref="Kind"/> is <c>log</c> or <c>cursor</c> (<see cref="Consumer"/> set only for the latter).</summary>
    public readonly record struct Message(string Schema, string Kind, string? Consumer, long Position);

    /// <summary>The payload's parts, or null when it is not one of Coliseum's.</summary>
    public static Message? Parse(string payload)
    {
        var parts = payload.Split(' ');
        return parts switch
        {
            [var schema, "log", var head] when long.TryParse(head, System.Globalization.CultureInfo.InvariantCulture, out var h) => new Message(schema, "log", null, h),
            [var schema, "cursor", var name, var position] when long.TryParse(position, System.Globalization.CultureInfo.InvariantCulture, out var p) => new Message(schema, "cursor", name, p),
            _ => null,
        };
    }
}
