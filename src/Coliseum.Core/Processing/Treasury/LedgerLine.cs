namespace Coliseum.Processing.Treasury;

/// <summary>One row of <c>treasury_ledger</c>: one money movement of one owner, in one currency. <see cref="AmountCents"/> is always positive; <see cref="Kind"/> says what it does to the balance.</summary>
internal readonly record struct LedgerLine(
    long Position,
    int Seq,
    string OwnerType,
    string OwnerId,
    string Currency,
    string Kind,
    long AmountCents,
    string EventType,
    string? UserId,
    string? EventId,
    string? ArtistId,
    long OccurredAt);
