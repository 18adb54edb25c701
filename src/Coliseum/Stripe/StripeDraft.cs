using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Coliseum.Stripe;

/// <summary>
/// A Coliseum event made from a Stripe event, before validation: its envelope and fields, written out
/// in Coliseum's own shape (<c>{type, messageId, userId, at, ...fields}</c>) for the
/// <see cref="Capture.EventValidator"/> to check like any other event.
/// </summary>
internal sealed class StripeDraft(string type, string messageId, string userId, long createdSeconds)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly List<(string Name, object Value)> _fields = [];

    public string Type => type;

    public string MessageId => messageId;

    public StripeDraft With(string name, string? value)
    {
        if (value is not null)
        {
            _fields.Add((name, value));
        }
        return this;
    }

    public StripeDraft With(string name, long? value)
    {
        if (value is { } number)
        {
            _fields.Add((name, number));
        }
        return this;
    }

    public StripeDraft With(string name, bool value)
    {
        _fields.Add((name, value));
        return this;
    }

    public void WriteTo(ArrayBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("type", type);
        writer.WriteString("messageId", messageId);
        writer.WriteString("userId", userId);
        writer.WriteString("at", DateTimeOffset.FromUnixTimeSeconds(createdSeconds));
        foreach (var (name, value) in _fields)
        {
            switch (value)
            {
                case string text:
                    writer.WriteString(name, text);
                    break;
                case long number:
                    writer.WriteNumber(name, number);
                    break;
                case bool flag:
                    writer.WriteBoolean(name, flag);
                    break;
            }
        }
        writer.WriteEndObject();
    }
}
