namespace Coliseum.Privacy;

/// <summary>
/// A privacy request as <c>GET /api/privacy/requests/{id}</c> shows it: its status (<c>rebuilding</c> until every
/// consumer that was reset has re-applied the log up to <see cref="RebuildTarget"/>, then <c>done</c>), the
/// SHA-256 of the user id, what was removed, and who asked (the admin key's id).
/// </summary>
internal sealed record PrivacyRequestView(long Id, string Status, string UserHash, string RequestedAt, string RequestedBy, bool Suppress,
    SortedDictionary<string, long> Removed, long RebuildTarget, IReadOnlyList<RebuildProgress> Rebuild);

/// <summary>A consumer rebuilding after an erasure: its cursor, and whether it has reached the target.</summary>
internal sealed record RebuildProgress(string Consumer, long Cursor, bool Done);
