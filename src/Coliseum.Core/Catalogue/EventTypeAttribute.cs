namespace Coliseum.Catalogue;

/// <summary>Names the catalogue type (<c>domain.action</c>) a record stands for.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class EventTypeAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
