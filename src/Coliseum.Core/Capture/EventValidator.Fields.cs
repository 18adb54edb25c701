using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Coliseum.Catalogue;

namespace Coliseum.Capture;

public sealed partial class EventValidator
{
    /// <summary>Checks one catalogue field against its spec and writes it into <c>metadata</c>.</summary>
    private static bool TryWriteField(FieldSpec field, JsonElement value, Utf8JsonWriter writer, string?[]? values, int index, out CaptureError error)
    {
        error = default;
        switch (field.Kind)
        {
            case FieldKind.String:
                if (!TryString(field, value, out var text, out error))
                {
                    return false;
                }
                if (values is not null)
                {
                    values[index] = text;
                }
                if (field.IsCurrency)
                {
                    writer.WriteString(field.Name, text!.ToLowerInvariant());
                    return true;
                }
                break;
            case FieldKind.Integer:
                // The kind first: TryGetInt64 throws on anything that is not a number.
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var integer)
                    || (field.Minimum is { } min && integer < min) || (field.Maximum is { } max && integer > max))
                {
                    error = new(IntegerError(field, value), field.Name);
                    return false;
                }
                break;
            case FieldKind.Number:
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number)
                    || (field.Minimum is { } nmin && number < nmin) || (field.Maximum is { } nmax && number > nmax))
                {
                    error = new($"{field.Name} must be {NumberPhrase(field)}", field.Name);
                    return false;
                }
                break;
            case FieldKind.Boolean:
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    error = new($"{field.Name} must be true or false", field.Name);
                    return false;
                }
                break;
            case FieldKind.Instant:
                if (!Iso8601.TryRead(value, out _))
                {
                    error = new($"{field.Name} must be an ISO-8601 timestamp", field.Name);
                    return false;
                }
                break;
            case FieldKind.StringArray:
                if (!TryStringArray(field, value, out error))
                {
                    return false;
                }
                break;
            case FieldKind.Object:
                if (!TryObject(field, value, out error))
                {
                    return false;
                }
                break;
            case FieldKind.FreeObject:
                if (value.ValueKind != JsonValueKind.Object)
                {
                    error = new($"{field.Name} must be an object", field.Name);
                    return false;
                }
                break;
        }
        writer.WritePropertyName(field.Name);
        value.WriteTo(writer);
        return true;
    }

    private static bool TryString(FieldSpec field, JsonElement value, out string? text, out CaptureError error)
    {
        text = null;
        error = default;
        if (value.ValueKind != JsonValueKind.String)
        {
            error = new($"{field.Name} must be a string", field.Name);
            return false;
        }
        if (field.AllowedValues is { } allowed)
        {
            foreach (var candidate in allowed)
            {
                if (value.ValueEquals(candidate))
                {
                    text = candidate;
                    return true;
                }
            }
            error = new($"{field.Name} must be one of {string.Join(", ", allowed)}", field.Name);
            return false;
        }
        text = value.GetString()!;
        // Before the length check: "at most 3 characters" would send the client to "dol" rather than "usd".
        if (field.IsCurrency && (text.Length != 3 || !text.All(char.IsAsciiLetter)))
        {
            error = new($"{field.Name} must be a three-letter ISO 4217 code such as usd", field.Name);
            return false;
        }
        if (text.Length < field.MinLength)
        {
            error = new(field.MinLength == 1 ? $"{field.Name} must not be empty" : $"{field.Name} must be at least {field.MinLength} characters", field.Name);
            return false;
        }
        if (text.Length > field.MaxLength)
        {
            error = new($"{field.Name} must be at most {field.MaxLength} characters", field.Name);
            return false;
        }
        return true;
    }

    private static bool TryStringArray(FieldSpec field, JsonElement value, out CaptureError error)
    {
        error = new($"{field.Name} must be an array of strings", field.Name);
        if (value.ValueKind != JsonValueKind.Array)
        {
            return false;
        }
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return false;
            }
            if (JsonMarshal.GetRawUtf8Value(item).Length - 2 > field.MaxLength && item.GetString()!.Length > field.MaxLength)
            {
                error = new($"{field.Name} items must be at most {field.MaxLength} characters", field.Name);
                return false;
            }
        }
        error = default;
        return true;
    }

    private static bool TryObject(FieldSpec field, JsonElement value, out CaptureError error)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            error = new($"{field.Name} must be an object", field.Name);
            return false;
        }
        foreach (var nested in field.Fields!)
        {
            if (!value.TryGetProperty(nested.Name, out var item) || item.ValueKind == JsonValueKind.Null)
            {
                if (nested.Required)
                {
                    error = new($"missing field {field.Name}.{nested.Name}", $"{field.Name}.{nested.Name}");
                    return false;
                }
                continue;
            }
            if (nested.Kind == FieldKind.String && !TryString(nested with { Name = $"{field.Name}.{nested.Name}" }, item, out _, out error))
            {
                return false;
            }
        }
        error = default;
        return true;
    }

    /// <summary>
    /// "a positive integer" leaves out a maximum as large as 2^53 − 1 (the largest integer JavaScript
    /// holds exactly), so a number past it is told the maximum rather than a rule it seems to meet.
    /// </summary>
    private static string IntegerError(FieldSpec field, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number && field.Maximum is { } max && max >= 9e15
            && (value.TryGetDouble(out var number) ? number > max : JsonMarshal.GetRawUtf8Value(value)[0] != (byte)'-'))
        {
            // As a long: formatting the double would round 9,007,199,254,740,991 to 15 significant digits.
            return $"{field.Name} must be at most {((long)max).ToString("#,0", CultureInfo.InvariantCulture)}";
        }
        return $"{field.Name} must be {IntegerPhrase(field)}";
    }

    private static string IntegerPhrase(FieldSpec field) => (field.Minimum, field.Maximum) switch
    {
        (1, null or >= 9e15) => "a positive integer",
        (0, null or >= 9e15) => "a non-negative integer",
        ({ } min, { } max) when max < 9e15 => $"an integer from {Format(min)} to {Format(max)}",
        _ => "an integer",
    };

    private static string NumberPhrase(FieldSpec field) => (field.Minimum, field.Maximum) switch
    {
        ({ } min, { } max) => $"a number from {Format(min)} to {Format(max)}",
        (0, null) => "a non-negative number",
        _ => "a finite number",
    };

    private static string Format(double value) => value.ToString("#,0.##", CultureInfo.InvariantCulture);
}
