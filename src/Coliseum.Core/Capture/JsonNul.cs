namespace Coliseum.Capture;

/// <summary>
/// Finds a NUL character in raw JSON text, where it can only be the escape <c>\u0000</c> (the byte itself is not
/// valid JSON). PostgreSQL's text and jsonb cannot hold it: capture refuses such events (<see cref="EventValidator"/>)
/// and the PostgreSQL store refuses such records as a backstop.
/// </summary>
public static class JsonNul
{
    /// <summary>True when <paramref name="json"/> has a <c>\u0000</c> escape (not an escaped backslash followed by <c>u0000</c>).</summary>
    public static bool HasEscape(ReadOnlySpan<byte> json)
    {
        var at = 0;
        while (json[at..].IndexOf("\\u0000"u8) is var found and >= 0)
        {
            var u = at + found + 1;
            var backslashes = 0;
            for (var i = u - 1; i >= 0 && json[i] == (byte)'\\'; i--)
            {
                backslashes++;
            }
            if (backslashes % 2 == 1)
            {
                return true;
            }
            at = u;
        }
        return false;
    }
}
