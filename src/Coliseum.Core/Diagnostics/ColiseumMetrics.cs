using System.Diagnostics.Metrics;
using Coliseum.Catalogue;

namespace Coliseum.Diagnostics;

/// <summary>
/// Coliseum's counters and histograms (<see cref="System.Diagnostics.Metrics"/>), exported at
/// <c>/metrics</c> in Prometheus text format. Event types outside the catalogue are labelled
/// <c>custom</c> so a client cannot grow the label set without bound.
/// </summary>
public static class ColiseumMetrics
{
    public const string MeterName = "Coliseum";

    private static readonly Meter Meter = new(MeterName, "1.0");

    private static readonly Counter<long> Accepted = Meter.CreateCounter<long>("events_accepted", "{event}", "Events stored in the Passport log");
    private static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("events_duplicate", "{event}", "Events whose messageId was already stored");
    private static readonly Counter<long> Rejected = Meter.CreateCounter<long>("events_rejected", "{event}", "Events refused as invalid");
    private static readonly Counter<long> Violations = Meter.CreateCounter<long>("tracking_plan_violations", "{event}", "Stored events of types outside the catalogue");
    private static readonly Counter<long> Overloaded = Meter.CreateCounter<long>("capture_overloaded", "{request}", "Capture requests answered 503 because the append queue was full");
    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("append_batch_size", "{event}", "Events written per group commit",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] });
    private static readonly Histogram<double> CommitSeconds = Meter.CreateHistogram<double>("append_commit_seconds", "s", "Time to write and durably commit one group",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });

    private static Func<long>? s_queueDepth;

    static ColiseumMetrics()
    {
        Meter.CreateObservableGauge("append_queue_depth", () => s_queueDepth?.Invoke() ?? 0, "{event}", "Events waiting for the writer");
    }

    public static void ObserveQueueDepth(Func<long> depth) => s_queueDepth = depth;

    public static void EventsAccepted(string type, int count) => Accepted.Add(count, Label(type));
    public static void EventsDuplicate(string type, int count) => Duplicates.Add(count, Label(type));
    public static void EventRejected(string? type, string endpoint) => Rejected.Add(1, Label(type ?? "unknown"), new("endpoint", endpoint));
    public static void TrackingPlanViolation() => Violations.Add(1);
    public static void CaptureOverloaded() => Overloaded.Add(1);
    public static void Commit(int events, double seconds)
    {
        BatchSize.Record(events);
        CommitSeconds.Record(seconds);
    }

    private static KeyValuePair<string, object?> Label(string type) =>
        new("type", EventCatalogue.Types.ContainsKey(type) ? type : "custom");
}
