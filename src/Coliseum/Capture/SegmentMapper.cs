using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Coliseum.Catalogue;

namespace Coliseum.Capture;

/// <summary>
/// Rewrites one message of Segment's HTTP Tracking API into Coliseum's own event shape, which the
/// <see cref="EventValidator"/> then checks like any other:
/// <list type="bullet">
/// <item><c>track</c> → the catalogue type named by <c>event</c> (properties become fields), or a custom type;</item>
/// <item><c>identify</c> → <c>passport.identified</c>; <c>page</c> and <c>screen</c> → <c>passport.page_viewed</c>;</item>
/// <item><c>alias</c> → <c>passport.logged_in</c> (method <c>alias</c>, previousId as anonymousId) so the identities are linked;</item>
/// <item><c>group</c> → <c>passport.identified</c> with <c>groupId</c> and the group's traits under <c>group</c>.</item>
/// </list>
/// The client time is <c>originalTimestamp</c> (else <c>timestamp</c>); with <c>sentAt</c>, the validator
/// applies Segment's rule <c>timestamp = receivedAt − (sentAt − originalTimestamp)</c>.
/// </summary>
internal static class SegmentMapper
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="kind">The call (<c>track</c>, <c>identify</c>…), from the path or the message's <c>type</c>.</param>
    /// <param name="batchContext">A batch's top-level <c>context</c>, merged under each message's own.</param>
    /// <param name="batchIntegrations">A batch's top-level <c>integrations</c>, merged likewise.</param>
    /// <param name="batchSentAt">A batch's top-level <c>sentAt</c>, used when the message has none.</param>
    /// <param name="receivedAt">Unix ms; the event time when the message gives none.</param>
    public static bool TryMap(JsonElement message, string? kind, JsonElement? batchContext, JsonElement? batchIntegrations, JsonElement? batchSentAt,
        long receivedAt, ArrayBufferWriter<byte> output, out bool catalogueType, out CaptureError error)
    {
        catalogueType = true;
        error = default;
        if (message.ValueKind != JsonValueKind.Object)
        {
            error = new($"message must be a JSON object, not {EventValidator.Describe(message.ValueKind)}");
            return false;
        }
        kind ??= message.TryGetProperty("type"u8, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (kind is null)
        {
            error = new("missing field type (track, identify, page, screen, group or alias)", "type");
            return false;
        }

        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        string type;
        JsonElement? fields = null;
        switch (kind)
        {
            case "track":
                if (!message.TryGetProperty("event"u8, out var name) || name.ValueKind != JsonValueKind.String || name.GetString() is not { Length: > 0 } eventName)
                {
                    error = new("missing field event", "event");
                    return false;
                }
                type = eventName;
                catalogueType = EventCatalogue.Types.ContainsKey(type);
                fields = Property(message, "properties");
                break;
            case "identify":
                type = "passport.identified";
                writer.WritePropertyName("traits");
                WriteObjectOrEmpty(writer, Property(message, "traits") ?? Property(Property(message, "context"), "traits"));
                break;
            case "page":
            case "screen":
                type = "passport.page_viewed";
                fields = Property(message, "properties");
                WritePage(writer, message, fields, kind == "screen");
                break;
            case "group":
                type = "passport.identified";
                writer.WritePropertyName("traits");
                writer.WriteStartObject();
                if (Property(message, "groupId") is { } groupId)
                {
                    writer.WritePropertyName("groupId");
                    groupId.WriteTo(writer);
                }
                writer.WritePropertyName("group");
                WriteObjectOrEmpty(writer, Property(message, "traits"));
                writer.WriteEndObject();
                break;
            case "alias":
                type = "passport.logged_in";
                writer.WriteString("method", "alias");
                if (Property(message, "previousId") is { } previousId)
                {
                    writer.WritePropertyName("anonymousId");
                    WriteId(writer, previousId);
                }
                break;
            default:
                error = new($"type '{kind}' is not a Segment call (track, identify, page, screen, group or alias)", "type");
                return false;
        }

        writer.WriteString("type", type);
        if (Property(message, "userId") is { } userId)
        {
            writer.WritePropertyName("userId");
            WriteId(writer, userId);
        }
        if (kind != "alias" && Property(message, "anonymousId") is { } anonymousId)
        {
            writer.WritePropertyName("anonymousId");
            WriteId(writer, anonymousId);
        }
        Copy(writer, message, "messageId", "messageId");
        var at = Property(message, "originalTimestamp") ?? Property(message, "timestamp");
        var sentAt = Property(message, "sentAt") ?? batchSentAt;
        if (at is { } when)
        {
            writer.WritePropertyName("at");
            when.WriteTo(writer);
            if (sentAt is { } sent)
            {
                writer.WritePropertyName("sentAt");
                sent.WriteTo(writer);
            }
        }
        else
        {
            // No client time at all: the event happened when it arrived.
            writer.WriteString("at", DateTimeOffset.FromUnixTimeMilliseconds(receivedAt));
        }
        var context = Property(message, "context");
        if (context is not null || batchContext is not null)
        {
            writer.WritePropertyName("context");
            WriteMerged(writer, batchContext, context);
        }
        var integrations = Property(message, "integrations");
        if (integrations is not null || batchIntegrations is not null)
        {
            writer.WritePropertyName("integrations");
            WriteMerged(writer, batchIntegrations, integrations);
        }
        if (kind == "screen" && Property(message, "name") is { } screenName)
        {
            writer.WritePropertyName("name");
            screenName.WriteTo(writer);
        }
        if (fields is { ValueKind: JsonValueKind.Object } props)
        {
            foreach (var p in props.EnumerateObject())
            {
                // A property that would shadow the envelope, or a page's or screen's own name, category
                // and screen mark, is kept under a prefixed name instead of writing the key twice.
                var isEnvelope = EventCatalogue.EnvelopeNames.Contains(p.Name) || p.Name == "integrations"
                    || (kind is "page" or "screen" && p.Name is "name" or "category" or "screen");
                // Only a page or screen call has written these already (WritePage); a track of
                // passport.page_viewed carries them in its properties.
                var pageField = kind is "page" or "screen" && p.Name is "path" or "title" or "referrer";
                if (pageField)
                {
                    continue;
                }
                writer.WritePropertyName(isEnvelope ? "properties." + p.Name : p.Name);
                p.Value.WriteTo(writer);
            }
        }
        writer.WriteEndObject();
        writer.Flush();
        return true;
    }

    private static void WritePage(Utf8JsonWriter writer, JsonElement message, JsonElement? properties, bool screen)
    {
        var page = Property(Property(message, "context"), "page");
        var path = Text(properties, "path") ?? Text(page, "path") ?? PathOf(Text(properties, "url") ?? Text(page, "url"));
        var name = Text(message, "name");
        path ??= screen && name is not null ? name : "/";
        writer.WriteString("path", path);
        if ((Text(properties, "title") ?? Text(page, "title")) is { } title)
        {
            writer.WriteString("title", title);
        }
        if ((Text(properties, "referrer") ?? Text(page, "referrer")) is { } referrer)
        {
            writer.WriteString("referrer", referrer);
        }
        if (screen)
        {
            writer.WriteBoolean("screen", true);
        }
        else if (name is not null)
        {
            writer.WriteString("name", name);
        }
        if (Property(message, "category") is { } category)
        {
            writer.WritePropertyName("category");
            category.WriteTo(writer);
        }
    }

    private static string? PathOf(string? url) =>
        url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.AbsolutePath : null;

    private static void WriteId(Utf8JsonWriter writer, JsonElement id)
    {
        // Segment accepts numeric ids; Coliseum's ids are strings.
        if (id.ValueKind == JsonValueKind.Number)
        {
            writer.WriteStringValue(id.GetRawText());
        }
        else
        {
            id.WriteTo(writer);
        }
    }

    private static void WriteObjectOrEmpty(Utf8JsonWriter writer, JsonElement? value)
    {
        if (value is { ValueKind: JsonValueKind.Object } obj)
        {
            obj.WriteTo(writer);
        }
        else
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
    }

    /// <summary>Writes <paramref name="outer"/> with <paramref name="inner"/>'s keys taking precedence (one level deep).</summary>
    private static void WriteMerged(Utf8JsonWriter writer, JsonElement? outer, JsonElement? inner)
    {
        var outerObject = outer is { ValueKind: JsonValueKind.Object } o ? o : (JsonElement?)null;
        var innerObject = inner is { ValueKind: JsonValueKind.Object } i ? i : (JsonElement?)null;
        if (outerObject is null && inner is { } only)
        {
            only.WriteTo(writer);
            return;
        }
        writer.WriteStartObject();
        if (outerObject is { } a)
        {
            foreach (var p in a.EnumerateObject())
            {
                if (innerObject is not { } b || !b.TryGetProperty(p.Name, out _))
                {
                    p.WriteTo(writer);
                }
            }
        }
        if (innerObject is { } c)
        {
            foreach (var p in c.EnumerateObject())
            {
                p.WriteTo(writer);
            }
        }
        writer.WriteEndObject();
    }

    private static void Copy(Utf8JsonWriter writer, JsonElement message, string from, string to)
    {
        if (Property(message, from) is { } value)
        {
            writer.WritePropertyName(to);
            value.WriteTo(writer);
        }
    }

    private static JsonElement? Property(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? Text(JsonElement? element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;
}
