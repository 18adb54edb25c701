namespace Coliseum.Catalogue;

public enum FieldKind
{
    String,
    Integer,
    Number,
    Boolean,
    Instant,
    StringArray,
    /// <summary>A nested object whose fields are described by <see cref="FieldSpec.Fields"/>.</summary>
    Object,
    /// <summary>A free-form JSON object (traits).</summary>
    FreeObject,
}
