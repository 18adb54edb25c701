using System.Data.Common;
using System.Text.Json;
using Coliseum.Capture;
using Coliseum.Storage;

namespace Coliseum.Processing.Treasury;

/// <summary>
/// The <c>treasury</c> consumer: a money ledger per owner (fan or artist) and per currency, in integer
/// cents (<c>treasury_ledger</c>), the owners' balances (<c>treasury_balances</c>) and fans'
/// subscriptions (<c>treasury_subscriptions</c>). Currencies are never mixed: every line and every
/// balance belongs to one currency.
/// </summary>
/// <remarks>
/// <para>The "user" of an event is its userId, else its anonymousId. What each type does:</para>
/// <list type="bullet">
/// <item><c>treasury.money_spent</c>: the user spent the amount (balance −).</item>
/// <item><c>treasury.money_earned</c>: the artist earned it when there is an <c>artistId</c>, else the user (balance +).</item>
/// <item><c>treasury.tip_sent</c>: the artist earned it, counted in tips too (balance +). The tipping user is
/// not debited: the platform also logs that payment as <c>treasury.money_spent</c> (reason <c>tip</c>), and
/// debiting here as well would count it twice.</item>
/// <item><c>treasury.refund_issued</c>, <c>concierto.ticket_refunded</c>: the user was refunded (balance +).</item>
/// <item><c>treasury.payout_requested</c>: informational, for the artist. <c>treasury.payout_completed</c>: the artist was paid out (balance −).</item>
/// <item><c>treasury.payment_failed</c>: informational, for the user.</item>
/// <item><c>concierto.ticket_purchased</c>: informational (tickets), for the user; the payment itself arrives as
/// <c>treasury.money_spent</c>, which is what counts as spending. Its amount is taken as the purchase's total.</item>
/// <item><c>treasury.subscription_started</c>: the subscription becomes active, plus an informational line;
/// <c>treasury.subscription_cancelled</c>: it becomes cancelled (no money).</item>
/// </list>
/// <para>So balance = earned + refunded − spent − paid out. Every other event type is skipped (its metadata is
/// not even parsed), and the cursor moves past it. A money event whose amount is not a positive integer, whose
/// currency is missing or not a three-letter lower-case code, or whose owner is missing, throws: the runner
/// dead-letters it.</para>
/// </remarks>
public sealed class TreasuryConsumer : Consumer
{
    public const string ConsumerName = "treasury";

    /// <summary>Takes the processing options like every consumer; the ledger has no settings of its own yet.</summary>
    public TreasuryConsumer(ProcessingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
    }

    public override string Name => ConsumerName;

    public override IReadOnlyList<string> ResetStatements { get; } =
    [
        "DELETE FROM treasury_ledger",
        "DELETE FROM treasury_balances",
        "DELETE FROM treasury_subscriptions",
    ];

    /// <summary>
    /// Balances only ever add deltas and a subscription's new state depends only on this batch's events,
    /// so nothing committed needs reading: <paramref name="reader"/> is unused.
    /// </summary>
    public override Task<ConsumerBatch> PrepareAsync(IReadOnlyList<PassportEntry> entries, DbConnection reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var batch = new TreasuryBatch();
        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!Handles(entry.Record.EventType))
            {
                continue;
            }
            using var document = JsonDocument.Parse(entry.Record.Metadata);
            Apply(entry, EventFields.Parse(document), batch);
        }
        return Task.FromResult<ConsumerBatch>(batch);
    }

    private static bool Handles(string eventType) => eventType.StartsWith("treasury.", StringComparison.Ordinal)
        || eventType is "concierto.ticket_purchased" or "concierto.ticket_refunded";

    /// <summary>Turns one event into its line and subscription change. Reads and checks every field before touching the batch, so an event that throws leaves nothing behind.</summary>
    private static void Apply(PassportEntry entry, EventFields f, TreasuryBatch batch)
    {
        var r = entry.Record;
        switch (r.EventType)
        {
            case "treasury.money_spent":
                batch.Add(Line(entry, f, OwnerType.User, UserOf(r), LineKind.Spent));
                break;
            case "treasury.money_earned":
            {
                var artist = f.String("artistId");
                if (artist is not null)
                {
                    batch.Add(Line(entry, f, OwnerType.Artist, NotEmpty(artist, "artistId"), LineKind.Earned));
                }
                else
                {
                    batch.Add(Line(entry, f, OwnerType.User, UserOf(r), LineKind.Earned));
                }
                break;
            }
            case "treasury.tip_sent":
                batch.Add(Line(entry, f, OwnerType.Artist, Id(f, "artistId"), LineKind.Tip));
                break;
            case "treasury.refund_issued" or "concierto.ticket_refunded":
                batch.Add(Line(entry, f, OwnerType.User, UserOf(r), LineKind.Refunded));
                break;
            case "treasury.payout_requested":
                batch.Add(Line(entry, f, OwnerType.Artist, Id(f, "artistId"), LineKind.PayoutRequested));
                break;
            case "treasury.payout_completed":
                batch.Add(Line(entry, f, OwnerType.Artist, Id(f, "artistId"), LineKind.PaidOut));
                break;
            case "treasury.payment_failed":
                batch.Add(Line(entry, f, OwnerType.User, UserOf(r), LineKind.Failed));
                break;
            case "concierto.ticket_purchased":
                batch.Add(Line(entry, f, OwnerType.User, UserOf(r), LineKind.Ticket));
                break;
            case "treasury.subscription_started":
            {
                var user = UserOf(r);
                var plan = Id(f, "plan");
                var interval = Id(f, "interval");
                var line = Line(entry, f, OwnerType.User, user, LineKind.Subscription);
                // Add is the only step that can still throw (a sum past 64 bits), so it goes first.
                batch.Add(line);
                batch.Start(user, plan, line.Currency, line.AmountCents, interval, r.OccurredAt, entry.Position);
                break;
            }
            case "treasury.subscription_cancelled":
                batch.Cancel(UserOf(r), Id(f, "plan"), r.OccurredAt, entry.Position);
                break;
        }
    }

    private static LedgerLine Line(PassportEntry entry, EventFields f, string ownerType, string ownerId, string kind)
    {
        var amount = f.RequiredLong("amountCents");
        if (amount <= 0)
        {
            throw new InvalidDataException($"metadata field amountCents is {amount}; money must be a positive number of cents");
        }
        var currency = f.RequiredString("currency");
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetterLower))
        {
            throw new InvalidDataException($"metadata field currency is \"{currency}\", not a three-letter lower-case ISO 4217 code such as usd");
        }
        var r = entry.Record;
        return new LedgerLine(entry.Position, 0, ownerType, ownerId, currency, kind, amount, r.EventType,
            r.UserId ?? r.AnonymousId, f.String("eventId"), f.String("artistId"), r.OccurredAt);
    }

    private static string UserOf(PassportRecord r) =>
        !string.IsNullOrEmpty(r.UserId) ? r.UserId
        : !string.IsNullOrEmpty(r.AnonymousId) ? r.AnonymousId
        : throw new InvalidDataException("the event has neither a userId nor an anonymousId");

    private static string Id(EventFields f, string name) => NotEmpty(f.RequiredString(name), name);

    private static string NotEmpty(string value, string name) =>
        value.Length > 0 ? value : throw new InvalidDataException($"metadata field {name} is empty");
}
