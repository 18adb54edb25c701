namespace Coliseum.Processing.Treasury;

/// <summary>
/// A subscription's state after this batch's events. <see cref="Started"/> is true when the batch saw a
/// start: then the row is written whole. Otherwise the batch only cancelled it: then only the status,
/// cancellation time and position change (and a row is made, without terms, when there was none).
/// </summary>
internal readonly record struct SubscriptionChange(
    bool Started,
    string? Currency,
    long? AmountCents,
    string? Interval,
    string Status,
    long? StartedAt,
    long? CancelledAt,
    long Position);
