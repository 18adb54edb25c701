using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Coliseum.Catalogue;

public static partial class CatalogueSchema
{
    /// <summary>
    /// TypeScript declarations for the front end, written from <see cref="Build"/> so they cannot drift
    /// from the JSON Schema: a <c>PassportEnvelope</c>, one interface per type with its <c>type</c>
    /// literal, and the <c>PassportEvent</c> union. Nested records become their own interfaces.
    /// </summary>
    public static string ToTypeScript()
    {
        var defs = Build()["$defs"]!.AsObject();
        var envelope = new HashSet<string>(EnvelopeProperties, StringComparer.Ordinal);
        var nested = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        var body = new StringBuilder();

        var first = defs.First().Value!.AsObject();
        WriteInterface(body, "PassportEnvelope", null, first, p => envelope.Contains(p), nested);
        foreach (var (name, def) in defs)
        {
            body.AppendLine();
            WriteInterface(body, name, "PassportEnvelope", def!.AsObject(), p => !envelope.Contains(p), nested);
        }
        body.AppendLine();
        body.AppendLine("export type PassportEvent =");
        foreach (var name in defs.Select(d => d.Key))
        {
            body.Append("  | ").AppendLine(name);
        }
        body.Length -= Environment.NewLine.Length;
        body.AppendLine(";");
        body.AppendLine();
        body.AppendLine("export type PassportEventType = PassportEvent[\"type\"];");

        var text = new StringBuilder();
        text.AppendLine("// Generated from the C# catalogue records (Coliseum.Catalogue) by CatalogueSchema.ToTypeScript(). Do not edit.");
        text.AppendLine("// Instants are ISO-8601 strings. Fields the catalogue does not know are accepted and kept as metadata.");
        foreach (var (name, schema) in nested)
        {
            text.AppendLine();
            WriteInterface(text, name, null, schema, _ => true, nested: null);
        }
        text.AppendLine();
        text.Append(body);
        return text.ToString().ReplaceLineEndings("\n");
    }

    private static void WriteInterface(StringBuilder text, string name, string? extends, JsonObject schema,
        Func<string, bool> include, SortedDictionary<string, JsonObject>? nested)
    {
        var required = (schema["required"]?.AsArray() ?? []).Select(r => r!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        text.Append("export interface ").Append(name);
        if (extends is not null)
        {
            text.Append(" extends ").Append(extends);
        }
        text.AppendLine(" {");
        foreach (var (property, value) in schema["properties"]?.AsObject() ?? [])
        {
            if (!include(property))
            {
                continue;
            }
            var field = value!.AsObject();
            if (Doc(field) is { Length: > 0 } doc)
            {
                text.Append("  /** ").Append(doc.Replace("*/", "*\\/", StringComparison.Ordinal)).AppendLine(" */");
            }
            text.Append("  ").Append(property).Append(required.Contains(property) ? ": " : "?: ")
                .Append(TypeOf(field, nested)).AppendLine(";");
        }
        text.AppendLine("}");
    }

    private static string TypeOf(JsonObject field, SortedDictionary<string, JsonObject>? nested)
    {
        if (field["const"] is { } constant)
        {
            return constant.ToJsonString();
        }
        if (field["enum"] is JsonArray values)
        {
            return string.Join(" | ", values.Where(v => v is not null).Select(v => v!.ToJsonString()));
        }
        var types = TypesOf(field);
        types.Remove("null");
        return types.Single() switch
        {
            "string" => "string",
            "integer" or "number" => "number",
            "boolean" => "boolean",
            "array" => $"{TypeOf(field["items"]!.AsObject(), nested)}[]",
            "object" when field["title"] is JsonValue title && field.ContainsKey("properties") => Nested(title.GetValue<string>(), field, nested),
            "object" => "Record<string, unknown>",
            var other => throw new InvalidOperationException($"no TypeScript type for JSON Schema type {other}"),
        };
    }

    private static string Nested(string name, JsonObject schema, SortedDictionary<string, JsonObject>? nested)
    {
        nested?.TryAdd(name, schema);
        return name;
    }

    /// <summary>The constraints TypeScript cannot express, as one JSDoc line.</summary>
    private static string Doc(JsonObject field)
    {
        var parts = new List<string>();
        if (field["description"] is JsonValue description)
        {
            parts.Add(description.GetValue<string>());
        }
        if (field["format"]?.GetValue<string>() == "date-time")
        {
            parts.Add("ISO-8601 instant.");
        }
        var types = TypesOf(field);
        if (types.Contains("integer"))
        {
            parts.Add("Integer.");
        }
        if (field["minimum"] is { } min && field["maximum"] is { } max)
        {
            parts.Add($"Range {min.ToJsonString()}..{max.ToJsonString()}.");
        }
        else if (field["minimum"] is { } onlyMin)
        {
            parts.Add($"At least {onlyMin.ToJsonString()}.");
        }
        else if (field["maximum"] is { } onlyMax)
        {
            parts.Add($"At most {onlyMax.ToJsonString()}.");
        }
        if (field["pattern"] is JsonValue pattern)
        {
            parts.Add(pattern.GetValue<string>() == CurrencyPattern
                ? "ISO 4217 currency code, lower case."
                : $"Pattern {pattern.GetValue<string>()}.");
        }
        else if (field["maxLength"] is { } maxLength && !field.ContainsKey("enum"))
        {
            var minLength = field["minLength"]?.GetValue<int>() ?? 0;
            parts.Add(minLength > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{minLength}..{maxLength.GetValue<int>()} characters.")
                : string.Create(CultureInfo.InvariantCulture, $"At most {maxLength.GetValue<int>()} characters."));
        }
        if (field["default"] is { } defaultValue)
        {
            parts.Add($"@default {defaultValue.ToJsonString()}");
        }
        return string.Join(" ", parts);
    }
}
