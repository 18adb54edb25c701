namespace Coliseum.Privacy;

/// <summary>Privacy settings (<c>Coliseum:Privacy</c>).</summary>
public sealed class PrivacyOptions
{
    public const string Section = "Coliseum:Privacy";

    /// <summary>
    /// Keep client IP addresses that events carry (<c>context.ip</c>, as Segment libraries send it, or a
    /// top-level <c>ip</c> field). Off by default: capture drops them before storing. Coliseum never records
    /// the address a request came from.
    /// </summary>
    public bool StoreIpAddresses { get; set; }
}
