namespace Coliseum.Capture;

public enum TrackingPlanMode
{
    /// <summary>Store events of unknown types, marked <c>unknown_type</c>, and count the violation.</summary>
    Allow,
    /// <summary>Reject events of unknown types.</summary>
    Strict,
}

/// <summary>Limits and policies of the capture endpoints (<c>Coliseum:Capture</c>).</summary>
public sealed class CaptureOptions
{
    public const string Section = "Coliseum:Capture";

    /// <summary>Let browsers post to <c>/api/passport/log</c> and <c>/api/passport/batch</c> without a key.</summary>
    public bool AllowKeyless { get; set; }

    public TrackingPlanMode TrackingPlan { get; set; } = TrackingPlanMode.Allow;

    public int MaxEventBytes { get; set; } = 32 * 1024;
    public int MaxRequestBytes { get; set; } = 512 * 1024;
    public int MaxBatchEvents { get; set; } = 2_500;

    /// <summary>Deepest JSON nesting accepted in a request body, counting the body's own object.</summary>
    public int MaxDepth { get; set; } = 16;

    /// <summary>Events waiting for the writer; past this, capture answers 503 with Retry-After.</summary>
    public int MaxPendingEvents { get; set; } = 50_000;

    /// <summary>Timestamps further ahead of the server's clock than this are clamped to the receive time.</summary>
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Most events one group commit writes.</summary>
    public int MaxCommitEvents { get; set; } = 8_192;
}
