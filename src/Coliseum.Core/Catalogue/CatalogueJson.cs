using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Coliseum.Catalogue;

/// <summary>
/// Serializer options for the typed catalogue: the source-generated <see cref="CatalogueJsonContext"/>
/// plus the <c>type</c> discriminator taken from each record's <see cref="EventTypeAttribute"/>, so the
/// list of derived types is written once (on the records) rather than repeated on the base type.
/// </summary>
public static class CatalogueJson
{
    public static JsonSerializerOptions Options { get; } = new(CatalogueJsonContext.Default.Options)
    {
        TypeInfoResolver = CatalogueJsonContext.Default.WithAddedModifier(AddDiscriminator),
        AllowOutOfOrderMetadataProperties = true,
    };

    private static void AddDiscriminator(JsonTypeInfo info)
    {
        if (info.Type != typeof(PassportEvent))
        {
            return;
        }
        info.PolymorphismOptions = new JsonPolymorphismOptions
        {
            TypeDiscriminatorPropertyName = "type",
            UnknownDerivedTypeHandling = System.Text.Json.Serialization.JsonUnknownDerivedTypeHandling.FailSerialization,
        };
        foreach (var spec in EventCatalogue.Types.Values.OrderBy(s => s.Type, StringComparer.Ordinal))
        {
            info.PolymorphismOptions.DerivedTypes.Add(new JsonDerivedType(spec.ClrType, spec.Type));
        }
    }
}
