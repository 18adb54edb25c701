using System.Data.Common;

namespace Coliseum.Processing.Treasury;

/// <summary>
/// One batch of the treasury consumer, aggregated in memory: its ledger lines, the balance deltas summed
/// per (owner, currency), and each touched subscription's final state. Written with multi-row
/// statements, each balance and subscription once.
/// </summary>
internal sealed class TreasuryBatch : ConsumerBatch
{
    private const string Active = "active";
    private const string Cancelled = "cancelled";

    private readonly List<LedgerLine> _lines = [];
    private readonly Dictionary<(string OwnerType, string OwnerId, string Currency), BalanceDelta> _balances = [];
    private readonly Dictionary<(string User, string Plan), SubscriptionChange> _subscriptions = [];

    /// <summary>Adds a line and its balance delta; throws (changing nothing) if a sum would overflow.</summary>
    public void Add(LedgerLine line)
    {
        var key = (line.OwnerType, line.OwnerId, line.Currency);
        var delta = _balances.TryGetValue(key, out var existing) ? existing.Plus(line) : BalanceDelta.Of(line);
        _balances[key] = delta;
        _lines.Add(line);
    }

    public void Start(string user, string plan, string currency, long amountCents, string interval, long at, long position) =>
        _subscriptions[(user, plan)] = new SubscriptionChange(true, currency, amountCents, interval, Active, at, null, position);

    public void Cancel(string user, string plan, long at, long position)
    {
        var key = (user, plan);
        _subscriptions[key] = _subscriptions.TryGetValue(key, out var change)
            ? change with { Status = Cancelled, CancelledAt = at, Position = position }
            : new SubscriptionChange(false, null, null, null, Cancelled, null, at, position);
    }

    public override async Task<long> WriteAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        // No ON CONFLICT: a line applied twice would also add its amount to the balance twice, so it must fail loudly.
        var ledger = new BulkStatement("treasury_ledger",
            ["position", "seq", "owner_type", "owner_id", "currency", "kind", "amount_cents", "event_type", "user_id", "event_id", "artist_id", "occurred_at"]);
        foreach (var l in _lines)
        {
            ledger.Add(l.Position, (long)l.Seq, l.OwnerType, l.OwnerId, l.Currency, l.Kind, l.AmountCents, l.EventType, l.UserId, l.EventId, l.ArtistId, l.OccurredAt);
        }
        await ledger.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);

        var balances = new BulkStatement("treasury_balances",
            ["owner_type", "owner_id", "currency", "spent_cents", "earned_cents", "tips_cents", "refunded_cents", "paid_out_cents",
             "payout_requested_cents", "failed_cents", "tickets_cents", "subscriptions_cents", "balance_cents", "first_at", "last_at", "lines"],
            """
            ON CONFLICT (owner_type, owner_id, currency) DO UPDATE SET
                spent_cents = treasury_balances.spent_cents + excluded.spent_cents,
                earned_cents = treasury_balances.earned_cents + excluded.earned_cents,
                tips_cents = treasury_balances.tips_cents + excluded.tips_cents,
                refunded_cents = treasury_balances.refunded_cents + excluded.refunded_cents,
                paid_out_cents = treasury_balances.paid_out_cents + excluded.paid_out_cents,
                payout_requested_cents = treasury_balances.payout_requested_cents + excluded.payout_requested_cents,
                failed_cents = treasury_balances.failed_cents + excluded.failed_cents,
                tickets_cents = treasury_balances.tickets_cents + excluded.tickets_cents,
                subscriptions_cents = treasury_balances.subscriptions_cents + excluded.subscriptions_cents,
                balance_cents = treasury_balances.balance_cents + excluded.balance_cents,
                first_at = CASE WHEN excluded.first_at < treasury_balances.first_at THEN excluded.first_at ELSE treasury_balances.first_at END,
                last_at = CASE WHEN excluded.last_at > treasury_balances.last_at THEN excluded.last_at ELSE treasury_balances.last_at END,
                lines = treasury_balances.lines + excluded.lines
            """);
        foreach (var ((ownerType, ownerId, currency), d) in _balances)
        {
            balances.Add(ownerType, ownerId, currency, d.Spent, d.Earned, d.Tips, d.Refunded, d.PaidOut,
                d.PayoutRequested, d.Failed, d.Tickets, d.Subscriptions, d.Balance, d.FirstAt, d.LastAt, d.Lines);
        }
        await balances.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);

        string[] columns = ["user_id", "plan", "currency", "amount_cents", "billing_interval", "status", "started_at", "cancelled_at", "position"];
        var started = new BulkStatement("treasury_subscriptions", columns, """
            ON CONFLICT (user_id, plan) DO UPDATE SET
                currency = excluded.currency, amount_cents = excluded.amount_cents, billing_interval = excluded.billing_interval,
                status = excluded.status, started_at = excluded.started_at, cancelled_at = excluded.cancelled_at, position = excluded.position
            """);
        var cancelled = new BulkStatement("treasury_subscriptions", columns, """
            ON CONFLICT (user_id, plan) DO UPDATE SET
                status = excluded.status, cancelled_at = excluded.cancelled_at, position = excluded.position
            """);
        foreach (var ((user, plan), s) in _subscriptions)
        {
            (s.Started ? started : cancelled).Add(user, plan, s.Currency, s.AmountCents, s.Interval, s.Status, s.StartedAt, s.CancelledAt, s.Position);
        }
        await started.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await cancelled.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);

        return _lines.Count * 110L + _balances.Count * 150L + _subscriptions.Count * 90L;
    }
}
