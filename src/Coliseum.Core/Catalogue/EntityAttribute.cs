namespace Coliseum.Catalogue;

/// <summary>
/// Says which field names the event's primary entity (stored as <c>entity_type</c>/<c>entity_id</c>).
/// Several may be given: the first whose field is present wins. With <see cref="TypeField"/> the entity
/// type is read from another field (e.g. <c>social.content_shared</c>'s <c>entityType</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class EntityAttribute(string entityType, string idField) : Attribute
{
    public string EntityType { get; } = entityType;
    public string IdField { get; } = idField;
    public string? TypeField { get; init; }
}
