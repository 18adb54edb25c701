using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Coliseum.Capture;

public sealed partial class EventValidator
{
    /// <summary>The envelope fields of one event, read as the event's properties go by.</summary>
    private struct Envelope
    {
        public string? UserId;
        public string? AnonymousId;
        public string? SessionId;
        public string? DeviceId;
        public string? MessageId;
        public long At;
        public bool HasAt;
        public long? SentAt;
        public byte[]? Context;
        public bool KeepIp;

        public bool TryRead(string name, JsonElement value, out CaptureError error)
        {
            error = default;
            switch (name)
            {
                case "type":
                case "writeKey":
                    return true;
                case "userId":
                    return TryId(name, value, MaxIdLength, out UserId, out error);
                case "anonymousId":
                    return TryId(name, value, MaxIdLength, out AnonymousId, out error);
                case "sessionId":
                    return TryId(name, value, MaxIdLength, out SessionId, out error);
                case "deviceId":
                    return TryId(name, value, MaxIdLength, out DeviceId, out error);
                case "messageId":
                    return TryId(name, value, MaxMessageIdLength, out MessageId, out error);
                case "at":
                    if (value.ValueKind == JsonValueKind.Null)
                    {
                        return true;
                    }
                    if (!Iso8601.TryRead(value, out At))
                    {
                        error = new("at must be an ISO-8601 timestamp such as 2026-11-25T10:00:00Z", "at");
                        return false;
                    }
                    HasAt = true;
                    return true;
                case "sentAt":
                    if (value.ValueKind == JsonValueKind.Null)
                    {
                        return true;
                    }
                    if (!Iso8601.TryRead(value, out var sent))
                    {
                        error = new("sentAt must be an ISO-8601 timestamp such as 2026-11-25T10:00:00Z", "sentAt");
                        return false;
                    }
                    SentAt = sent;
                    return true;
                case "context":
                    if (value.ValueKind == JsonValueKind.Null)
                    {
                        return true;
                    }
                    if (value.ValueKind != JsonValueKind.Object)
                    {
                        error = new($"context must be an object, not {Describe(value.ValueKind)}", "context");
                        return false;
                    }
                    Context = KeepIp || !value.TryGetProperty("ip"u8, out _) ? JsonMarshal.GetRawUtf8Value(value).ToArray() : WithoutIp(value);
                    return true;
                default:
                    return true;
            }
        }

        /// <summary>The context object without its <c>ip</c> (Segment's client address), which is kept only when configured.</summary>
        private static byte[] WithoutIp(JsonElement context)
        {
            var buffer = new ArrayBufferWriter<byte>(JsonMarshal.GetRawUtf8Value(context).Length);
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                writer.WriteStartObject();
                foreach (var property in context.EnumerateObject())
                {
                    if (!property.NameEquals("ip"u8))
                    {
                        property.WriteTo(writer);
                    }
                }
                writer.WriteEndObject();
            }
            return buffer.WrittenSpan.ToArray();
        }

        public readonly bool Validate(out CaptureError error)
        {
            error = default;
            if (UserId is null && AnonymousId is null)
            {
                error = new("missing field userId (or anonymousId for an anonymous visitor)", "userId");
                return false;
            }
            if (!HasAt)
            {
                error = new("missing field at", "at");
                return false;
            }
            return true;
        }

        private static bool TryId(string name, JsonElement value, int maxLength, out string? id, out CaptureError error)
        {
            id = null;
            error = default;
            if (value.ValueKind == JsonValueKind.Null)
            {
                return true;
            }
            if (value.ValueKind != JsonValueKind.String)
            {
                error = new($"{name} must be a string", name);
                return false;
            }
            id = value.GetString()!;
            if (id.Length == 0)
            {
                error = new($"{name} must not be empty", name);
                return false;
            }
            if (id.Length > maxLength)
            {
                error = new($"{name} must be at most {maxLength} characters", name);
                return false;
            }
            return true;
        }
    }
}
