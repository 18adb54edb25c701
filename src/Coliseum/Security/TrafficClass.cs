namespace Coliseum.Security;

/// <summary>Which limits and which CORS answer a request gets, from its path alone (so a preflight is classed like the request it announces).</summary>
internal enum TrafficClass
{
    /// <summary>Health, the API document and reference: neither limited nor offered to other origins.</summary>
    Other,

    /// <summary><c>/api/passport/log</c>, <c>/api/passport/batch</c>, <c>/v1/*</c>.</summary>
    Capture,

    /// <summary>Everything else under <c>/api/</c>, and <c>/metrics</c>: reads, reports, funnels, streams, admin.</summary>
    Read,
}

internal static class Traffic
{
    public static TrafficClass Of(HttpRequest request)
    {
        var path = request.Path;
        if (path.Equals("/api/passport/log", StringComparison.OrdinalIgnoreCase)
            || path.Equals("/api/passport/batch", StringComparison.OrdinalIgnoreCase)
            || path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase))
        {
            return TrafficClass.Capture;
        }
        return path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) && !path.StartsWithSegments("/api/docs", StringComparison.OrdinalIgnoreCase)
            || path.Equals("/metrics", StringComparison.OrdinalIgnoreCase)
            ? TrafficClass.Read
            : TrafficClass.Other;
    }
}
