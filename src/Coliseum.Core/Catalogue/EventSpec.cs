using System.Collections.Frozen;

namespace Coliseum.Catalogue;

/// <summary>One catalogue type: its name, CLR record, fields and primary entity.</summary>
public sealed record EventSpec(string Type, string Category, Type ClrType, IReadOnlyList<FieldSpec> Fields, IReadOnlyList<EntityAttribute> Entities)
{
    public FrozenDictionary<string, FieldSpec> FieldsByName { get; } = Fields.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);

    /// <summary>Position of each field in <see cref="Fields"/>, for tracking which required fields were seen.</summary>
    public FrozenDictionary<string, int> FieldIndex { get; } = Fields.Select((f, i) => (f.Name, i)).ToFrozenDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
}
