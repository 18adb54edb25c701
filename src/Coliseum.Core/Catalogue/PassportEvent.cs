using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Coliseum.Catalogue;

/// <summary>
/// The envelope every Passport event carries. Each catalogue type derives from it and adds its fields;
/// the <c>type</c> discriminator comes from <see cref="EventTypeAttribute"/> (see <see cref="CatalogueJson"/>).
/// </summary>
public abstract record PassportEvent
{
    /// <summary>The signed-in user; required unless <see cref="AnonymousId"/> is given.</summary>
    [MaxLength(128)] public string? UserId { get; init; }

    /// <summary>The device or browser id before login.</summary>
    [MaxLength(128)] public string? AnonymousId { get; init; }

    /// <summary>When it happened, by the client's clock.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>When the client sent it; used to correct the client's clock skew.</summary>
    public DateTimeOffset? SentAt { get; init; }

    [MaxLength(128)] public string? SessionId { get; init; }

    [MaxLength(128)] public string? DeviceId { get; init; }

    /// <summary>Idempotency key; the server makes one when absent.</summary>
    [MaxLength(100)] public string? MessageId { get; init; }

    /// <summary>Free-form context: page, campaign/utm, user agent, locale.</summary>
    public Dictionary<string, JsonElement>? Context { get; init; }

    /// <summary>Fields the catalogue does not know; kept, never dropped.</summary>
    /// <remarks>
    /// <c>set</c>, not <c>init</c>: the source generator binds init-only properties like constructor
    /// parameters, and an extension-data property cannot be one (dotnet/runtime#107898), so with
    /// <c>init</c> every (de)serialization of an event throws.
    /// </remarks>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Metadata { get; set; }
}
