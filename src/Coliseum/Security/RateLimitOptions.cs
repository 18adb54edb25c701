namespace Coliseum.Security;

/// <summary>
/// <c>Coliseum:RateLimits:*</c>: token buckets (one request takes one token) per key and per client address.
/// The defaults are far above what one machine serves, so they stop a runaway client rather than shape traffic.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "Coliseum:RateLimits";

    public bool Enabled { get; set; } = true;

    /// <summary>Capture requests presenting a valid key in a header, per key.</summary>
    public TokenBucket CapturePerKey { get; set; } = new() { TokenLimit = 100_000, TokensPerPeriod = 50_000 };

    /// <summary>Capture requests with no header key (keyless browsers, a body <c>writeKey</c>) or an unknown one, per client address.</summary>
    public TokenBucket CapturePerAddress { get; set; } = new() { TokenLimit = 20_000, TokensPerPeriod = 10_000 };

    /// <summary>Requests to the read, report, stream and admin endpoints (and <c>/metrics</c>), per valid key.</summary>
    public TokenBucket ReadPerKey { get; set; } = new() { TokenLimit = 50_000, TokensPerPeriod = 25_000 };

    public IEnumerable<string> Validate()
    {
        foreach (var (name, bucket) in new[] { ("CapturePerKey", CapturePerKey), ("CapturePerAddress", CapturePerAddress), ("ReadPerKey", ReadPerKey) })
        {
            if (bucket.TokenLimit < 1) { yield return $"{Section}:{name}:TokenLimit must be at least 1"; }
            if (bucket.TokensPerPeriod < 1) { yield return $"{Section}:{name}:TokensPerPeriod must be at least 1"; }
            if (bucket.PeriodSeconds is < 0.001 or > 86_400) { yield return $"{Section}:{name}:PeriodSeconds must be between 0.001 and 86400"; }
        }
    }
}

/// <summary>One token bucket's size and refill.</summary>
public sealed class TokenBucket
{
    /// <summary>The burst: requests allowed at once from a full bucket.</summary>
    public int TokenLimit { get; set; }

    /// <summary>Tokens put back every <see cref="PeriodSeconds"/>: the sustained rate.</summary>
    public int TokensPerPeriod { get; set; }

    public double PeriodSeconds { get; set; } = 1;
}
