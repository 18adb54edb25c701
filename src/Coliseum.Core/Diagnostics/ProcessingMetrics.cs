using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Coliseum.Diagnostics;

/// <summary>The consumers' series: events applied, batch time, dead letters, and lag per consumer.</summary>
public static class ProcessingMetrics
{
    private static readonly Meter Meter = new(ColiseumMetrics.MeterName + ".Processing", "1.0");

    private static readonly Counter<long> Applied = Meter.CreateCounter<long>("coliseum.consumer.applied", "{event}", "Log entries applied by a consumer");
    private static readonly Counter<long> Dead = Meter.CreateCounter<long>("coliseum.consumer.dead_lettered", "{event}", "Entries a consumer could not apply, moved to consumer_dead_letters");
    private static readonly Histogram<double> BatchSeconds = Meter.CreateHistogram<double>("coliseum.consumer.batch", "s", "Time to compute and commit one batch",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    private static readonly ConcurrentDictionary<string, Func<(long Lag, long DeadLetters)>> s_sources = new(StringComparer.Ordinal);

    static ProcessingMetrics()
    {
        Meter.CreateObservableGauge("coliseum.consumer.lag", () => Observe(s => s.Lag), "{event}", "Log entries not yet applied by each consumer");
        Meter.CreateObservableGauge("coliseum.consumer.dead_letters", () => Observe(s => s.DeadLetters), "{event}", "Open dead letters per consumer");
    }

    public const string MeterName = ColiseumMetrics.MeterName + ".Processing";

    /// <summary>Registers where the gauges read a consumer's lag and open dead letters from (the latest registration wins).</summary>
    public static void Observe(string consumer, Func<(long Lag, long DeadLetters)> source) => s_sources[consumer] = source;

    public static void Batch(string consumer, int events, double seconds)
    {
        var tag = new KeyValuePair<string, object?>("consumer", consumer);
        Applied.Add(events, tag);
        BatchSeconds.Record(seconds, tag);
    }

    public static void DeadLettered(string consumer) => Dead.Add(1, new KeyValuePair<string, object?>("consumer", consumer));

    private static IEnumerable<Measurement<long>> Observe(Func<(long Lag, long DeadLetters), long> pick)
    {
        foreach (var (name, source) in s_sources)
        {
            yield return new Measurement<long>(pick(source()), new KeyValuePair<string, object?>("consumer", name));
        }
    }
}
