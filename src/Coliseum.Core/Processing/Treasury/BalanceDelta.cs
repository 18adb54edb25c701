namespace Coliseum.Processing.Treasury;

/// <summary>
/// What one batch adds to one owner's balance in one currency: the sums of its lines by kind, their
/// earliest and latest event time, and how many lines. Sums are checked: money never wraps around.
/// </summary>
internal readonly record struct BalanceDelta(
    long Spent,
    long Earned,
    long Tips,
    long Refunded,
    long PaidOut,
    long PayoutRequested,
    long Failed,
    long Tickets,
    long Subscriptions,
    long FirstAt,
    long LastAt,
    long Lines)
{
    /// <summary>earned + refunded − spent − paid out (tips are inside earned; the other sums are informational).</summary>
    public long Balance => checked(Earned + Refunded - Spent - PaidOut);

    public static BalanceDelta Of(LedgerLine line) =>
        new BalanceDelta(0, 0, 0, 0, 0, 0, 0, 0, 0, line.OccurredAt, line.OccurredAt, 0).Plus(line);

    /// <summary>This delta with <paramref name="line"/> added; throws <see cref="OverflowException"/> rather than wrap.</summary>
    public BalanceDelta Plus(LedgerLine line)
    {
        var a = line.AmountCents;
        var next = this with
        {
            FirstAt = Math.Min(FirstAt, line.OccurredAt),
            LastAt = Math.Max(LastAt, line.OccurredAt),
            Lines = checked(Lines + 1),
        };
        next = line.Kind switch
        {
            LineKind.Spent => next with { Spent = checked(Spent + a) },
            LineKind.Earned => next with { Earned = checked(Earned + a) },
            LineKind.Tip => next with { Earned = checked(Earned + a), Tips = checked(Tips + a) },
            LineKind.Refunded => next with { Refunded = checked(Refunded + a) },
            LineKind.PaidOut => next with { PaidOut = checked(PaidOut + a) },
            LineKind.PayoutRequested => next with { PayoutRequested = checked(PayoutRequested + a) },
            LineKind.Failed => next with { Failed = checked(Failed + a) },
            LineKind.Ticket => next with { Tickets = checked(Tickets + a) },
            LineKind.Subscription => next with { Subscriptions = checked(Subscriptions + a) },
            _ => throw new ArgumentException($"unknown ledger line kind {line.Kind}", nameof(line)),
        };
        _ = next.Balance;
        return next;
    }
}
