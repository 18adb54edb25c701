namespace Coliseum.Processing.Treasury;

/// <summary>The kinds of ledger line (<c>treasury_ledger.kind</c>) and what each does to the owner's balance.</summary>
internal static class LineKind
{
    /// <summary>A fan paid for something: balance −.</summary>
    public const string Spent = "spent";

    /// <summary>Money earned (by an artist, or by a fan when no artist is named): balance +.</summary>
    public const string Earned = "earned";

    /// <summary>A tip an artist received: counted as earned too, balance +.</summary>
    public const string Tip = "tip";

    /// <summary>Money given back to a fan: balance +.</summary>
    public const string Refunded = "refunded";

    /// <summary>An artist asked for a payout: informational.</summary>
    public const string PayoutRequested = "payout_requested";

    /// <summary>An artist's payout reached them: balance −.</summary>
    public const string PaidOut = "paid_out";

    /// <summary>A payment that failed: informational.</summary>
    public const string Failed = "failed";

    /// <summary>A ticket bought: informational (the payment arrives as money spent).</summary>
    public const string Ticket = "ticket";

    /// <summary>A subscription started: informational (its payments arrive as money spent).</summary>
    public const string Subscription = "subscription";
}
