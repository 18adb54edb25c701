using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using Coliseum.Catalogue;

namespace Coliseum.Capture;

/// <summary>
/// Turns one event in Coliseum's own shape (<c>{type, userId, at, ...fields}</c>) into a
/// <see cref="PassportRecord"/>, or says precisely what is wrong with it. One pass over the object:
/// envelope fields are read, catalogue fields are checked against the typed catalogue, and every
/// non-envelope property (known or not) is copied into <c>metadata</c>.
/// </summary>
public sealed partial class EventValidator(CaptureOptions options, Privacy.PrivacyOptions? privacy = null)
{
    private readonly bool _keepIp = privacy?.StoreIpAddresses ?? false;

    private const int MaxIdLength = 128;
    private const int MaxMessageIdLength = 100;
    private const int MaxTypeLength = 128;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public CaptureOptions Options => options;

    /// <param name="strictType">When true the type must be <c>domain.action</c> in lower snake case.</param>
    /// <summary>The source of events built from Stripe's signed webhooks; only they may use <see cref="StripeMessageIdPrefix"/>.</summary>
    public const string StripeSource = "stripe";

    public const string StripeMessageIdPrefix = "stripe:";

    public bool TryValidate(JsonElement ev, long receivedAt, string source, out PassportRecord record, out CaptureError error, bool strictType = true)
    {
        record = null!;
        if (ev.ValueKind != JsonValueKind.Object)
        {
            error = new($"event must be a JSON object, not {Describe(ev.ValueKind)}");
            return false;
        }
        var size = JsonMarshal.GetRawUtf8Value(ev).Length;
        if (size > options.MaxEventBytes)
        {
            error = new($"event is {size} bytes; the limit is {options.MaxEventBytes} bytes");
            return false;
        }
        if (NulProperty(ev) is { } nul)
        {
            error = new($"'{nul}' contains a NUL character (\\u0000): Coliseum stores text without it (PostgreSQL cannot hold it)", nul);
            return false;
        }
        if (!ev.TryGetProperty("type"u8, out var typeElement))
        {
            error = new("missing field type", "type");
            return false;
        }
        if (!TryReadType(typeElement, strictType, out var type, out error))
        {
            return false;
        }

        var known = EventCatalogue.TryGet(type, out var spec);
        if (!known && options.TrackingPlan == TrackingPlanMode.Strict)
        {
            error = new($"unknown event type '{type}': the tracking plan is strict and allows only catalogue types", "type");
            return false;
        }

        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        writer.WriteStartObject();

        var envelope = new Envelope { KeepIp = _keepIp };
        ulong seen = 0;
        string?[]? values = known && spec.Entities.Count > 0 ? new string?[spec.Fields.Count] : null;

        foreach (var property in ev.EnumerateObject())
        {
            var name = property.Name;
            if (EventCatalogue.EnvelopeNames.Contains(name))
            {
                if (!envelope.TryRead(name, property.Value, out error))
                {
                    return false;
                }
                continue;
            }
            if (known && spec.FieldIndex.TryGetValue(name, out var index))
            {
                var field = spec.Fields[index];
                if (property.Value.ValueKind == JsonValueKind.Null && !field.Required)
                {
                    continue;
                }
                if (!TryWriteField(field, property.Value, writer, values, index, out error))
                {
                    return false;
                }
                seen |= 1UL << index;
                continue;
            }
            if (!_keepIp && name == "ip")
            {
                continue; // a client address is personal data: kept only when configured (Coliseum:Privacy:StoreIpAddresses)
            }
            // Unknown extra field: kept as it came (bounded by the per-event size and depth limits).
            property.WriteTo(writer);
        }

        if (known)
        {
            for (var i = 0; i < spec.Fields.Count; i++)
            {
                if ((seen & (1UL << i)) != 0)
                {
                    continue;
                }
                var field = spec.Fields[i];
                if (field.Required)
                {
                    error = new($"missing field {field.Name}", field.Name);
                    return false;
                }
                if (field.DefaultValue is int d)
                {
                    writer.WriteNumber(field.Name, d);
                }
            }
        }
        writer.WriteEndObject();
        writer.Flush();

        if (!envelope.Validate(out error))
        {
            return false;
        }
        // The Stripe webhook's messageIds: no other sender may take one first and so stop a payment from counting.
        if (envelope.MessageId is { } messageId && messageId.StartsWith(StripeMessageIdPrefix, StringComparison.Ordinal) && source != StripeSource)
        {
            error = new($"messageId must not start with '{StripeMessageIdPrefix}': that prefix is kept for events from Stripe's webhook", "messageId");
            return false;
        }

        var warnings = known ? null : "unknown_type";
        var occurredAt = envelope.At;
        if (envelope.SentAt is { } sentAt)
        {
            // Segment's rule: trust the interval the client measured, not its clock.
            occurredAt = receivedAt - (sentAt - envelope.At);
        }
        if (occurredAt > receivedAt + (long)options.MaxFutureSkew.TotalMilliseconds)
        {
            occurredAt = receivedAt;
            warnings = warnings is null ? "future_at_clamped" : warnings + ",future_at_clamped";
        }

        string? entityType = null, entityId = null;
        if (values is not null)
        {
            ResolveEntity(spec, values, out entityType, out entityId);
        }

        record = new PassportRecord
        {
            MessageId = envelope.MessageId ?? Guid.CreateVersion7().ToString(),
            EventType = type,
            EventCategory = known ? spec.Category : EventCatalogue.CategoryOf(type),
            UserId = envelope.UserId,
            AnonymousId = envelope.AnonymousId,
            SessionId = envelope.SessionId,
            DeviceId = envelope.DeviceId,
            EntityType = entityType,
            EntityId = entityId,
            Metadata = buffer.WrittenSpan.ToArray(),
            Context = envelope.Context,
            OccurredAt = occurredAt,
            ClientAt = envelope.At,
            SentAt = envelope.SentAt,
            ReceivedAt = receivedAt,
            Source = source,
            Warnings = warnings,
        };
        error = default;
        return true;
    }

    private static bool TryReadType(JsonElement element, bool strictType, out string type, out CaptureError error)
    {
        type = "";
        if (element.ValueKind != JsonValueKind.String)
        {
            error = new("type must be a string", "type");
            return false;
        }
        type = element.GetString()!;
        if (type.Length is 0 or > MaxTypeLength)
        {
            error = new($"type must be 1 to {MaxTypeLength} characters", "type");
            return false;
        }
        if (strictType && !IsDomainAction(type))
        {
            error = new($"type '{type}' must be domain.action in lower snake case (e.g. player.track_played)", "type");
            return false;
        }
        error = default;
        return true;
    }

    /// <summary><c>domain.action</c>: two or more dot-separated segments of <c>[a-z][a-z0-9_]*</c>.</summary>
    internal static bool IsDomainAction(string type)
    {
        var segments = 0;
        var start = true;
        foreach (var c in type)
        {
            if (c == '.')
            {
                if (start)
                {
                    return false;
                }
                start = true;
                continue;
            }
            var ok = start ? c is >= 'a' and <= 'z' : c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_';
            if (!ok)
            {
                return false;
            }
            if (start)
            {
                segments++;
                start = false;
            }
        }
        return !start && segments >= 2;
    }

    private static void ResolveEntity(EventSpec spec, string?[] values, out string? entityType, out string? entityId)
    {
        foreach (var entity in spec.Entities)
        {
            if (!spec.FieldIndex.TryGetValue(entity.IdField, out var idIndex) || values[idIndex] is not { } id)
            {
                continue;
            }
            var kind = entity.EntityType;
            if (entity.TypeField is not null && spec.FieldIndex.TryGetValue(entity.TypeField, out var typeIndex))
            {
                kind = values[typeIndex] ?? kind;
            }
            entityType = kind;
            entityId = id;
            return;
        }
        entityType = null;
        entityId = null;
    }

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "an object",
    };

    /// <summary>
    /// The top-level property whose name or value holds an escaped NUL (<c>\u0000</c>; raw JSON cannot hold the
    /// byte itself), or null. Refused on every backend alike: PostgreSQL's text and jsonb cannot store it, and
    /// an event must not be accepted on one store and refused on another.
    /// </summary>
    private static string? NulProperty(JsonElement ev)
    {
        if (!JsonNul.HasEscape(JsonMarshal.GetRawUtf8Value(ev)))
        {
            return null;
        }
        foreach (var property in ev.EnumerateObject())
        {
            if (JsonNul.HasEscape(JsonMarshal.GetRawUtf8Value(property.Value)) || property.Name.Contains('\0', StringComparison.Ordinal))
            {
                return property.Name.Replace("\0", "\\u0000", StringComparison.Ordinal);
            }
        }
        return "event";
    }
}
