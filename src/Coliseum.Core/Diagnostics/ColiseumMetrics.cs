using System.Diagnostics.Metrics;
using Coliseum.Catalogue;

namespace Coliseum.Diagnostics;

/// <summary>
/// Coliseum's counters and histograms (<see cref="System.Diagnostics.Metrics"/>), exported at
/// <c>/metrics</c> in Prometheus text format by OpenTelemetry's exporter (<c>coliseum.events.accepted</c>
/// becomes <c>coliseum_events_accepted_total</c>). Event types outside the catalogue are labelled
/// <c>custom</c> so a client cannot grow the label set without bound.
/// </summary>
public static class ColiseumMetrics
{
    public const string MeterName = "Coliseum";

    private static readonly Meter Meter = new(MeterName, "1.0");

    private static readonly Counter<long> Accepted = Meter.CreateCounter<long>("coliseum.events.accepted", "{event}", "Events stored in the Passport log");
    private static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("coliseum.events.duplicate", "{event}", "Events whose messageId was already stored");
    private static readonly Counter<long> Rejected = Meter.CreateCounter<long>("coliseum.events.rejected", "{event}", "Events refused as invalid");
    private static readonly Counter<long> Violations = Meter.CreateCounter<long>("coliseum.tracking_plan.violations", "{event}", "Stored events of types outside the catalogue");
    private static readonly Counter<long> Overloaded = Meter.CreateCounter<long>("coliseum.capture.overloaded", "{request}", "Capture requests answered 503 because the append queue was full");
    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("coliseum.append.batch_size", "{event}", "Events written per group commit",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] });
    private static readonly Histogram<double> CommitSeconds = Meter.CreateHistogram<double>("coliseum.append.commit", "s", "Time to write and durably commit one group",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });

    private static readonly Counter<long> RateLimitedRequests = Meter.CreateCounter<long>("coliseum.requests.rate_limited", "{request}", "Requests answered 429 by a rate limit, by limit");

    private static Func<long>? s_queueDepth;

    static ColiseumMetrics()
    {
        Meter.CreateObservableGauge("coliseum.append.queue_depth", () => s_queueDepth?.Invoke() ?? 0, "{event}", "Events waiting for the writer");
    }

    public static void ObserveQueueDepth(Func<long> depth) => s_queueDepth = depth;

    public static void EventsAccepted(string type, int count) => Accepted.Add(count, Label(type));
    public static void EventsDuplicate(string type, int count) => Duplicates.Add(count, Label(type));
    public static void EventRejected(string? type, string endpoint) => Rejected.Add(1, Label(type ?? "unknown"), new("endpoint", endpoint));
    public static void TrackingPlanViolation() => Violations.Add(1);
    public static void CaptureOverloaded() => Overloaded.Add(1);
    /// <param name="limit">Which limit: <c>capture_key</c>, <c>capture_address</c> or <c>read_key</c> (a fixed set).</param>
    public static void RateLimited(string limit) => RateLimitedRequests.Add(1, new KeyValuePair<string, object?>("limit", limit));
    public static void Commit(int events, double seconds)
    {
        BatchSize.Record(events);
        CommitSeconds.Record(seconds);
    }

    private static KeyValuePair<string, object?> Label(string type) =>
        new("type", EventCatalogue.Types.ContainsKey(type) ? type : "custom");
}
