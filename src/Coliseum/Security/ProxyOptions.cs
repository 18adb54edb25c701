using System.Net;

namespace Coliseum.Security;

/// <summary>
/// Reverse proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> are believed
/// (<c>Coliseum:Proxy:KnownProxies:N</c> addresses, <c>…:KnownNetworks:N</c> CIDR ranges). None by default: a
/// client cannot then pick its own address (and so its rate-limit bucket) by sending the header.
/// </summary>
public sealed class ProxyOptions
{
    public const string Section = "Coliseum:Proxy";

    public List<string> KnownProxies { get; set; } = [];

    public List<string> KnownNetworks { get; set; } = [];

    public bool Any => KnownProxies.Count + KnownNetworks.Count > 0;

    public IEnumerable<string> Validate()
    {
        foreach (var proxy in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
        {
            yield return $"Coliseum:Proxy:KnownProxies: '{proxy}' is not an IP address";
        }
        foreach (var network in KnownNetworks.Where(n => !IPNetwork.TryParse(n, out _)))
        {
            yield return $"Coliseum:Proxy:KnownNetworks: '{network}' is not a CIDR range such as 10.0.0.0/8";
        }
    }
}
