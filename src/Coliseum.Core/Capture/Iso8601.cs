using System.Text.Json;

namespace Coliseum.Capture;

internal static class Iso8601
{
    /// <summary>
    /// Reads an ISO-8601 instant with System.Text.Json's strict parser. A timestamp without an offset is
    /// taken as UTC (what JavaScript's <c>toISOString</c> and every Segment library send is already UTC).
    /// </summary>
    public static bool TryRead(JsonElement element, out long unixMs)
    {
        unixMs = 0;
        if (element.ValueKind != JsonValueKind.String || !element.TryGetDateTimeOffset(out var value))
        {
            return false;
        }
        if (!HasOffset(element))
        {
            value = new DateTimeOffset(value.DateTime, TimeSpan.Zero);
        }
        unixMs = value.ToUnixTimeMilliseconds();
        return true;
    }

    private static bool HasOffset(JsonElement element)
    {
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element);
        if (raw.Contains((byte)'\\'))
        {
            // Escaped text ("+02:00" as "\u002B02:00" is how System.Text.Json writes a DateTimeOffset by
            // default) cannot be read byte by byte; the parser says whether an offset or Z was given.
            return !element.TryGetDateTime(out var parsed) || parsed.Kind != DateTimeKind.Unspecified;
        }
        // raw includes the quotes: "....Z" or "....+02:00"
        var text = raw[1..^1];
        if (text.Length > 0 && (text[^1] == (byte)'Z' || text[^1] == (byte)'z'))
        {
            return true;
        }
        var t = text.IndexOfAny((byte)'T', (byte)'t');
        return t >= 0 && text[t..].IndexOfAny((byte)'+', (byte)'-') >= 0;
    }
}
