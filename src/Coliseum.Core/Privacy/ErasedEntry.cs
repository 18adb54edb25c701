using Coliseum.Capture;

namespace Coliseum.Privacy;

/// <summary>
/// What a privacy erasure leaves of a log entry: the row and its position (positions are never handed
/// out twice, and the consumers' cursors count on that), its messageId (so a late retry of the same
/// delivery is still a duplicate, not a new copy of the erased event) and its receive time; nothing
/// that says who did what. The consumers skip such entries, so a rebuild counts nothing for them.
/// </summary>
public static class ErasedEntry
{
    public const string EventType = "privacy.erased";
    public const string Category = "privacy";

    /// <summary>The <c>source</c> of an erased entry. Only the server sets a source, so no client can make an entry look erased.</summary>
    public const string Source = "erased";

    public static bool Is(PassportRecord record) => record.Source == Source;
}
