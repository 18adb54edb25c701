using System.Data.Common;
using System.Text.Json;
using Coliseum.Storage;

namespace Coliseum.Processing.Coliseum;

/// <summary>
/// The attribution part of a coliseum batch: the touchpoints its events carry (<c>coliseum_touchpoints</c>)
/// and, for each conversion, the first and last touchpoint of the same user within the lookback window
/// (<c>conversion_attributions</c>). Deterministic in log order: a conversion is credited once, when it is
/// applied, from the touchpoints earlier in the log (lower position) whose time is within the window.
/// </summary>
internal sealed class AttributionBatch(long lookbackMs)
{
    public const string FirstTouch = "first_touch";
    public const string LastTouch = "last_touch";
    public const string Direct = "(direct)";
    private const int MaxTextLength = 200;

    private readonly List<Touchpoint> _touchpoints = [];
    private readonly Dictionary<string, List<Touchpoint>> _touchpointsByUser = new(StringComparer.Ordinal);
    private readonly List<Conversion> _conversions = [];
    private readonly List<Attribution> _attributions = [];

    /// <summary>Whether an event type is a conversion.</summary>
    public static bool IsConversion(string type) => type is "concierto.ticket_purchased" or "treasury.subscription_started" or "passport.signed_up";

    /// <summary>Records the entry's touchpoint and conversion, if any. Reads everything before changing the batch.</summary>
    public void Observe(PassportEntry entry, EventFields f)
    {
        var r = entry.Record;
        if (ColiseumConsumer.UserOf(r) is not { } user)
        {
            return;
        }
        var touch = TouchOf(r.EventType, f, r.Context);
        Conversion? conversion = null;
        if (IsConversion(r.EventType))
        {
            var money = r.EventType != "passport.signed_up";
            conversion = new Conversion(entry.Position, r.EventType, user, r.OccurredAt,
                money ? f.RequiredLong("amountCents") : null, money ? f.RequiredString("currency") : null);
        }
        if (touch is { } t)
        {
            var point = new Touchpoint(user, r.OccurredAt, entry.Position, r.EventType, t.Source, t.Medium, t.Campaign);
            _touchpoints.Add(point);
            if (!_touchpointsByUser.TryGetValue(user, out var list))
            {
                _touchpointsByUser[user] = list = [];
            }
            list.Add(point);
        }
        if (conversion is not null)
        {
            _conversions.Add(conversion);
        }
    }

    /// <summary>Credits each conversion of the batch, reading the committed touchpoints through <paramref name="reader"/>.</summary>
    public async Task ResolveAsync(DbConnection reader, CancellationToken cancellationToken)
    {
        if (_conversions.Count == 0)
        {
            return;
        }
        const string Select = "SELECT occurred_at, position, touch_type, source, medium, campaign FROM coliseum_touchpoints WHERE user_id = @u AND occurred_at >= @f AND occurred_at <= @t AND position < @p";
        await using var first = Db.Command(reader, null, Select + " ORDER BY occurred_at, position LIMIT 1", ("@u", null), ("@f", null), ("@t", null), ("@p", null));
        await using var last = Db.Command(reader, null, Select + " ORDER BY occurred_at DESC, position DESC LIMIT 1", ("@u", null), ("@f", null), ("@t", null), ("@p", null));
        foreach (var c in _conversions)
        {
            var from = c.OccurredAt - lookbackMs;
            var earliest = await ReadAsync(first, c, from, cancellationToken).ConfigureAwait(false);
            var latest = await ReadAsync(last, c, from, cancellationToken).ConfigureAwait(false);
            if (_touchpointsByUser.TryGetValue(c.User, out var pending))
            {
                foreach (var t in pending)
                {
                    // Touchpoints of this batch: earlier in the log (or the conversion's own entry, a sign-up's utm).
                    if (t.Position > c.Position || t.OccurredAt < from || t.OccurredAt > c.OccurredAt)
                    {
                        continue;
                    }
                    if (earliest is null || Before(t, earliest)) { earliest = t; }
                    if (latest is null || Before(latest, t)) { latest = t; }
                }
            }
            _attributions.Add(new Attribution(c, FirstTouch, earliest));
            _attributions.Add(new Attribution(c, LastTouch, latest));
        }
    }

    private static bool Before(Touchpoint a, Touchpoint b) => a.OccurredAt < b.OccurredAt || (a.OccurredAt == b.OccurredAt && a.Position < b.Position);

    private static async Task<Touchpoint?> ReadAsync(DbCommand command, Conversion c, long from, CancellationToken cancellationToken)
    {
        command.Parameters[0].Value = c.User;
        command.Parameters[1].Value = from;
        command.Parameters[2].Value = c.OccurredAt;
        command.Parameters[3].Value = c.Position;
        await using var rows = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        return new Touchpoint(c.User, rows.GetInt64(0), rows.GetInt64(1), rows.GetString(2), rows.GetString(3),
            rows.IsDBNull(4) ? null : rows.GetString(4), rows.IsDBNull(5) ? null : rows.GetString(5));
    }

    public async Task<long> WriteAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (_touchpoints.Count > 0)
        {
            var touchpoints = new BulkStatement("coliseum_touchpoints", ["user_id", "occurred_at", "position", "touch_type", "source", "medium", "campaign"], "ON CONFLICT DO NOTHING");
            foreach (var t in _touchpoints)
            {
                touchpoints.Add(t.User, t.OccurredAt, t.Position, t.Type, t.Source, t.Medium, t.Campaign);
            }
            await touchpoints.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        }
        if (_attributions.Count > 0)
        {
            var attributions = new BulkStatement("conversion_attributions",
                ["position", "model", "conversion_type", "user_id", "occurred_at", "source", "medium", "campaign", "touch_position", "touch_occurred_at", "value_cents", "currency"],
                "ON CONFLICT (position, model) DO NOTHING");
            foreach (var (c, model, t) in _attributions)
            {
                attributions.Add(c.Position, model, c.Type, c.User, c.OccurredAt, t?.Source ?? Direct, t?.Medium, t?.Campaign, t?.Position, t?.OccurredAt, c.ValueCents, c.Currency);
            }
            await attributions.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        }
        return _touchpoints.Count * 80L + _attributions.Count * 120L;
    }

    /// <summary>The touchpoint an event carries, if any (see docs/funnels.md for the rules).</summary>
    internal static (string Source, string? Medium, string? Campaign)? TouchOf(string type, EventFields f, byte[]? context)
    {
        switch (type)
        {
            case "passport.session_started" or "passport.signed_up":
            {
                if (Campaign(f.Object("utm"), "campaign") is { } utm)
                {
                    return utm;
                }
                using var document = Parse(context);
                var root = document?.RootElement;
                if (Campaign(Child(root, "campaign"), "name") is { } campaign)
                {
                    return campaign;
                }
                if (type == "passport.session_started" && Referrer(f.String("referrer") ?? Text(Child(Child(root, "page"), "referrer"))) is { } referrer)
                {
                    return (referrer, "referral", null);
                }
                return null;
            }
            case "passport.page_viewed":
            {
                var referrer = f.String("referrer");
                if (referrer is null)
                {
                    using var document = Parse(context);
                    referrer = Text(Child(Child(document?.RootElement, "page"), "referrer"));
                }
                return Referrer(referrer) is { } host ? (host, "referral", null) : null;
            }
            case "social.content_shared":
                return (Clip(f.RequiredString("channel")), "share", null);
            case "social.invite_accepted":
                f.RequiredString("inviterUserId");
                return ("invite", "referral", null);
            default:
                return null;
        }
    }

    /// <summary>A campaign object (utm, or Segment's context.campaign) with a source; other fields optional.</summary>
    private static (string, string?, string?)? Campaign(JsonElement? campaign, string nameField) =>
        Text(Child(campaign, "source")) is { Length: > 0 } source
            ? (Clip(source), Text(Child(campaign, "medium")) is { } medium ? Clip(medium) : null, Text(Child(campaign, nameField)) is { } name ? Clip(name) : null)
            : null;

    /// <summary>A referrer URL's host (lower case, without a leading www.), or the text itself when it is not an absolute URL.</summary>
    private static string? Referrer(string? referrer)
    {
        referrer = referrer?.Trim();
        if (string.IsNullOrEmpty(referrer))
        {
            return null;
        }
        if (Uri.TryCreate(referrer, UriKind.Absolute, out var uri) && uri.Host.Length > 0)
        {
            var host = uri.Host.ToLowerInvariant();
            return host.StartsWith("www.", StringComparison.Ordinal) ? host[4..] : host;
        }
        return Clip(referrer);
    }

    private static string Clip(string text) => text.Length <= MaxTextLength ? text : text[..MaxTextLength];

    // The context is free-form: a missing or oddly typed member is no touchpoint, never a poison event.
    private static JsonDocument? Parse(byte[]? context)
    {
        if (context is null)
        {
            return null;
        }
        try
        {
            return JsonDocument.Parse(context);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonElement? Child(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value) ? value : null;

    private static string? Text(JsonElement? value) => value is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    private sealed record Touchpoint(string User, long OccurredAt, long Position, string Type, string Source, string? Medium, string? Campaign);

    private sealed record Conversion(long Position, string Type, string User, long OccurredAt, long? ValueCents, string? Currency);

    private readonly record struct Attribution(Conversion Conversion, string Model, Touchpoint? Touch);
}
