using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Coliseum.Capture;
using Coliseum.Diagnostics;
using Microsoft.AspNetCore.RateLimiting;

namespace Coliseum.Security;

/// <summary>
/// ASP.NET Core's rate limiter with one partitioned token bucket per limit: capture per valid header key,
/// capture per client address (no header key, or one that is not valid), reads per valid key. Only a key
/// that hashes to a valid one gets a partition of its own, so random keys cannot grow the partitions; the
/// limiter drops a partition once its bucket has refilled and sat idle. A refused request gets 429, a
/// <c>Retry-After</c> from the limiter, a ProblemDetails body, and counts in
/// <c>coliseum_requests_rate_limited_total{limit}</c>.
/// </summary>
internal static class RateLimits
{
    public const string CaptureKey = "capture_key";
    public const string CaptureAddress = "capture_address";
    public const string ReadKey = "read_key";

    public static void Add(IServiceCollection services, RateLimitOptions options)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                var (limit, partition) = Classify(http);
                if (limit is null)
                {
                    return RateLimitPartition.GetNoLimiter("");
                }
                var bucket = limit switch
                {
                    CaptureKey => options.CapturePerKey,
                    CaptureAddress => options.CapturePerAddress,
                    _ => options.ReadPerKey,
                };
                return RateLimitPartition.GetTokenBucketLimiter(partition!, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = bucket.TokenLimit,
                    TokensPerPeriod = bucket.TokensPerPeriod,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(bucket.PeriodSeconds),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = RejectedAsync;
        });
    }

    /// <summary>Which limit applies (null: none) and the partition it is counted in.</summary>
    internal static (string? Limit, string? Partition) Classify(HttpContext http)
    {
        var traffic = Traffic.Of(http.Request);
        if (traffic == TrafficClass.Other)
        {
            return (null, null);
        }
        var key = http.RequestServices.GetRequiredService<KeyRing>().Find(CaptureService.HeaderKey(http.Request));
        return (traffic, key) switch
        {
            (TrafficClass.Capture, not null) => (CaptureKey, "ck:" + key.Id),
            (TrafficClass.Capture, null) => (CaptureAddress, "ca:" + Address(http.Connection.RemoteIpAddress)),
            (_, not null) => (ReadKey, "rk:" + key.Id),
            // No valid key: the endpoint answers 401 before doing any work.
            _ => (null, null),
        };
    }

    /// <summary>The client's address; an IPv6 client by its /64, since one host can use a whole /64 of addresses.</summary>
    internal static string Address(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes).ToString() + "/64";
        }
        return address.ToString();
    }

    private static async ValueTask RejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var limit = Classify(http).Limit ?? "unknown";
        ColiseumMetrics.RateLimited(limit);
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var who = limit == CaptureAddress ? "this client address" : "this key";
        await Problems.Create(429, $"too many requests from {who} ({limit} limit, Coliseum:RateLimits); retry after {seconds} s").ExecuteAsync(http);
    }
}
