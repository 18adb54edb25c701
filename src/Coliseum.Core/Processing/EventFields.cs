using System.Text.Json;

namespace Coliseum.Processing;

/// <summary>
/// Typed reads of an entry's <c>metadata</c> object. A field that is present with the wrong JSON type
/// throws <see cref="InvalidDataException"/> naming it: that is a poison event (capture validates, so
/// it can only come from outside, e.g. rows written by hand), and the consumer dead-letters it.
/// </summary>
public readonly struct EventFields(JsonElement root)
{
    public static EventFields Parse(JsonDocument document)
    {
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException("metadata is not a JSON object");
        }
        return new EventFields(document.RootElement);
    }

    public JsonElement Root => root;

    public string? String(string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Wrong(name, "a string");
    }

    public string RequiredString(string name) => String(name) ?? throw new InvalidDataException($"metadata has no {name}");

    /// <summary>
    /// A field the event's catalogue type does not declare (an extra property a sender added): its string
    /// value, or null when it is absent or not a string. Capture does not check the type of such fields, so
    /// a number there is the sender's business, not a poison event.
    /// </summary>
    public string? ExtraString(string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>As <see cref="ExtraString"/>, for an integer.</summary>
    public long? ExtraLong(string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    public long? Long(string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : throw Wrong(name, "an integer");
    }

    public long RequiredLong(string name) => Long(name) ?? throw new InvalidDataException($"metadata has no {name}");

    /// <summary>A number that may have a fraction (seconds), truncated toward zero.</summary>
    public long? WholeNumber(string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number)
        {
            throw Wrong(name, "a number");
        }
        return value.TryGetInt64(out var n) ? n : (long)value.GetDouble();
    }

    public bool? Bool(string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Wrong(name, "true or false"),
        };
    }

    public IReadOnlyList<string> Strings(string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Wrong(name, "an array of strings");
        }
        var list = new List<string>(value.GetArrayLength());
        foreach (var item in value.EnumerateArray())
        {
            list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw Wrong(name, "an array of strings"));
        }
        return list;
    }

    public JsonElement? Object(string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Object ? value : throw Wrong(name, "an object");
    }

    private static InvalidDataException Wrong(string name, string expected) => new($"metadata field {name} is not {expected}");
}
