using System.Collections.Frozen;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Coliseum.Catalogue;

/// <summary>
/// The typed catalogue of EVENTS.md, read once from the C# records deriving from <see cref="PassportEvent"/>.
/// The records are the single source of truth: the validator, the JSON Schema and the TypeScript
/// declarations are all derived from them.
/// </summary>
public static class EventCatalogue
{
    public const int DefaultMaxStringLength = 1024;

    /// <summary>Envelope property names; everything else in an event is a field or metadata.</summary>
    public static readonly FrozenSet<string> EnvelopeNames = FrozenSet.Create(StringComparer.Ordinal,
        "type", "userId", "anonymousId", "at", "sentAt", "sessionId", "deviceId", "messageId", "context", "writeKey");

    public static FrozenDictionary<string, EventSpec> Types { get; } = Build();

    public static bool TryGet(string type, out EventSpec spec) => Types.TryGetValue(type, out spec!);

    /// <summary>The part of <c>domain.action</c> before the first dot, or <c>custom</c>.</summary>
    public static string CategoryOf(string type)
    {
        var dot = type.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? type[..dot] : "custom";
    }

    private static FrozenDictionary<string, EventSpec> Build()
    {
        var specs = new Dictionary<string, EventSpec>(StringComparer.Ordinal);
        foreach (var clr in typeof(PassportEvent).Assembly.GetTypes())
        {
            if (clr.IsAbstract || !clr.IsSubclassOf(typeof(PassportEvent)))
            {
                continue;
            }
            var name = clr.GetCustomAttribute<EventTypeAttribute>()?.Name
                ?? throw new InvalidOperationException($"{clr.Name} has no [EventType]");
            var fields = FieldsOf(clr, declaredOnly: true);
            var entities = clr.GetCustomAttributes<EntityAttribute>().ToArray();
            specs.Add(name, new EventSpec(name, CategoryOf(name), clr, fields, entities));
        }
        return specs.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static List<FieldSpec> FieldsOf(Type clr, bool declaredOnly)
    {
        var flags = BindingFlags.Public | BindingFlags.Instance | (declaredOnly ? BindingFlags.DeclaredOnly : 0);
        var fields = new List<FieldSpec>();
        foreach (var p in clr.GetProperties(flags))
        {
            if (p.GetMethod is null || p.GetIndexParameters().Length > 0 || p.Name == "EqualityContract")
            {
                continue;
            }
            fields.Add(FieldOf(p));
        }
        return fields;
    }

    private static FieldSpec FieldOf(PropertyInfo p)
    {
        var name = JsonNamingPolicy.CamelCase.ConvertName(p.Name);
        var required = p.IsDefined(typeof(RequiredMemberAttribute));
        var type = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
        var kind = KindOf(type);
        var range = p.GetCustomAttribute<RangeAttribute>();
        var spec = new FieldSpec(name, kind, required)
        {
            Minimum = range is null ? null : Convert.ToDouble(range.Minimum, System.Globalization.CultureInfo.InvariantCulture),
            Maximum = range is null ? null : Convert.ToDouble(range.Maximum, System.Globalization.CultureInfo.InvariantCulture),
            MinLength = p.GetCustomAttribute<MinLengthAttribute>()?.Length ?? (kind == FieldKind.String && required ? 1 : 0),
            MaxLength = p.GetCustomAttribute<MaxLengthAttribute>()?.Length ?? DefaultMaxStringLength,
            AllowedValues = p.GetCustomAttribute<AllowedValuesAttribute>()?.Values.Select(v => (string)v!).ToArray(),
            IsCurrency = p.IsDefined(typeof(CurrencyCodeAttribute)),
            DefaultValue = p.GetCustomAttribute<DefaultValueAttribute>()?.Value,
            Description = p.GetCustomAttribute<DescriptionAttribute>()?.Description,
            Fields = kind == FieldKind.Object ? FieldsOf(type, declaredOnly: false) : null,
        };
        return spec;
    }

    private static FieldKind KindOf(Type type) => type switch
    {
        _ when type == typeof(string) => FieldKind.String,
        _ when type == typeof(int) || type == typeof(long) => FieldKind.Integer,
        _ when type == typeof(double) => FieldKind.Number,
        _ when type == typeof(bool) => FieldKind.Boolean,
        _ when type == typeof(DateTimeOffset) => FieldKind.Instant,
        _ when type == typeof(IReadOnlyList<string>) || type == typeof(string[]) => FieldKind.StringArray,
        _ when type == typeof(Dictionary<string, JsonElement>) => FieldKind.FreeObject,
        _ when type.IsClass => FieldKind.Object,
        _ => throw new InvalidOperationException($"catalogue field type {type} is not supported"),
    };
}
