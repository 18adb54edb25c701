namespace Coliseum.Catalogue;

/// <summary>One field of a catalogue type, as the validator and the schema writers see it.</summary>
public sealed record FieldSpec(string Name, FieldKind Kind, bool Required)
{
    public double? Minimum { get; init; }
    public double? Maximum { get; init; }
    public int MinLength { get; init; }
    public int MaxLength { get; init; } = EventCatalogue.DefaultMaxStringLength;
    public IReadOnlyList<string>? AllowedValues { get; init; }
    public bool IsCurrency { get; init; }
    /// <summary>Written into <c>metadata</c> when the field is absent.</summary>
    public object? DefaultValue { get; init; }
    /// <summary>For <see cref="FieldKind.Object"/>: the nested fields.</summary>
    public IReadOnlyList<FieldSpec>? Fields { get; init; }
    public string? Description { get; init; }
}
