namespace Coliseum.Processing;

/// <summary>
/// A 64-bit FNV-1a hash that is the same in every process and version (unlike <see cref="string.GetHashCode()"/>),
/// for compact keys stored in the database.
/// </summary>
public struct StableHash
{
    private const ulong Offset = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    private ulong _value;

    public static StableHash Start() => new() { _value = Offset };

    public StableHash Add(string? text)
    {
        var value = _value;
        if (text is not null)
        {
            foreach (var c in text)
            {
                value = (value ^ (byte)c) * Prime;
                value = (value ^ (byte)(c >> 8)) * Prime;
            }
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ; null and "" differ too.
        value = (value ^ (text is null ? 0xFEu : 0xFFu)) * Prime;
        return new StableHash { _value = value };
    }

    public StableHash Add(long number)
    {
        var value = _value;
        for (var i = 0; i < 8; i++)
        {
            value = (value ^ (byte)(number >> (8 * i))) * Prime;
        }
        return new StableHash { _value = value };
    }

    public readonly long Value => unchecked((long)_value);
}
