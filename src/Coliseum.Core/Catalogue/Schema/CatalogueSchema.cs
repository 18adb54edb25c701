using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;

namespace Coliseum.Catalogue;

/// <summary>
/// Publishes the catalogue as JSON Schema (draft 2020-12) and TypeScript declarations, both generated
/// from the C# records through the same serializer contracts the server reads events with.
/// </summary>
public static partial class CatalogueSchema
{
    public const string SchemaId = "https://coliseum.local/schema/passport-event.json";
    public const string CurrencyPattern = "^[a-z]{3}$";

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        // The schema is a file for tools and people, never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string ToJsonSchema() => Build().ToJsonString(Indented);

    /// <summary>
    /// The whole schema document: a <c>oneOf</c> over one <c>$defs</c> entry per catalogue type (keyed by
    /// the record's name), in the ordinal order of the <c>type</c> names.
    /// </summary>
    public static JsonObject Build()
    {
        var specs = EventCatalogue.Types.Values.OrderBy(s => s.Type, StringComparer.Ordinal).ToList();
        var defs = new JsonObject();
        var oneOf = new JsonArray();
        foreach (var spec in specs)
        {
            defs[spec.ClrType.Name] = Definition(spec);
            oneOf.Add(new JsonObject { ["$ref"] = $"#/$defs/{spec.ClrType.Name}" });
        }
        return new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = SchemaId,
            ["title"] = nameof(PassportEvent),
            ["oneOf"] = oneOf,
            ["$defs"] = defs,
        };
    }

    /// <summary>The JSON names of the envelope properties, in declaration order.</summary>
    public static IReadOnlyList<string> EnvelopeProperties { get; } = CatalogueJson.Options
        .GetTypeInfo(typeof(PassportEvent)).Properties
        .Where(p => !p.IsExtensionData)
        .Select(p => p.Name)
        .ToArray();

    private static JsonObject Definition(EventSpec spec)
    {
        var exporterOptions = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = Constrain,
        };
        var exported = JsonSchemaExporter.GetJsonSchemaAsNode(CatalogueJson.Options.GetTypeInfo(spec.ClrType), exporterOptions).AsObject();

        var properties = new JsonObject { ["type"] = new JsonObject { ["const"] = spec.Type } };
        foreach (var (name, schema) in exported["properties"]?.AsObject() ?? [])
        {
            properties[name] = schema?.DeepClone();
        }
        var required = new JsonArray("type");
        foreach (var name in exported["required"]?.AsArray() ?? [])
        {
            required.Add(name?.DeepClone());
        }
        return new JsonObject
        {
            ["title"] = spec.ClrType.Name,
            ["type"] = "object",
            ["properties"] = properties,
            ["required"] = required,
            // Unknown fields are accepted and kept in metadata.
            ["additionalProperties"] = true,
        };
    }

    /// <summary>
    /// Adds what the exporter does not know: the validation attributes, plus the catalogue's defaults for
    /// strings (<see cref="EventCatalogue.DefaultMaxStringLength"/>, non-empty when required), so the schema
    /// accepts what the server's validator accepts.
    /// </summary>
    private static JsonNode Constrain(JsonSchemaExporterContext context, JsonNode schema)
    {
        if (context.PropertyInfo is not { AttributeProvider: { } attributes } property || schema is not JsonObject node)
        {
            return schema;
        }
        var types = TypesOf(node);
        if (Attribute<DescriptionAttribute>(attributes) is { } description)
        {
            node["description"] = description.Description;
        }
        if (types.Contains("object") && node.ContainsKey("properties"))
        {
            node.Insert(0, "title", context.TypeInfo.Type.Name);
        }
        if (types.Contains("string") && !node.ContainsKey("format"))
        {
            var minLength = Attribute<MinLengthAttribute>(attributes)?.Length ?? (property.IsRequired ? 1 : 0);
            if (minLength > 0)
            {
                node["minLength"] = minLength;
            }
            node["maxLength"] = Attribute<MaxLengthAttribute>(attributes)?.Length ?? EventCatalogue.DefaultMaxStringLength;
            if (Attribute<CurrencyCodeAttribute>(attributes) is not null)
            {
                node["pattern"] = CurrencyPattern;
            }
            if (Attribute<AllowedValuesAttribute>(attributes) is { } allowed)
            {
                var values = new JsonArray();
                foreach (var value in allowed.Values)
                {
                    values.Add(value is null ? null : JsonValue.Create((string)value));
                }
                if (types.Contains("null") && !values.Any(v => v is null))
                {
                    values.Add(null);
                }
                node["enum"] = values;
            }
        }
        if (Attribute<RangeAttribute>(attributes) is { } range)
        {
            node["minimum"] = Number(range.Minimum);
            node["maximum"] = Number(range.Maximum);
        }
        if (Attribute<DefaultValueAttribute>(attributes) is { Value: { } defaultValue })
        {
            node["default"] = defaultValue switch
            {
                string s => JsonValue.Create(s),
                bool b => JsonValue.Create(b),
                _ => Number(defaultValue),
            };
        }
        return node;
    }

    private static T? Attribute<T>(ICustomAttributeProvider provider) where T : Attribute =>
        provider.GetCustomAttributes(typeof(T), inherit: false).OfType<T>().FirstOrDefault();

    private static HashSet<string> TypesOf(JsonObject node) => node["type"] switch
    {
        JsonArray many => many.Select(t => t!.GetValue<string>()).ToHashSet(StringComparer.Ordinal),
        JsonValue one => [one.GetValue<string>()],
        _ => [],
    };

    // Integral bounds are written as integers: 2^53 - 1 as a double would print as 9.007199254740991E+15.
    private static JsonValue Number(object value)
    {
        var d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        return Math.Floor(d) == d && Math.Abs(d) <= 9_007_199_254_740_991d
            ? JsonValue.Create((long)d)
            : JsonValue.Create(d);
    }
}
