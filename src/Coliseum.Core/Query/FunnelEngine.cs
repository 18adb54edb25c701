using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Coliseum.Catalogue;
using Coliseum.Processing;

namespace Coliseum.Query;

/// <summary>
/// Runs a funnel over the primary metric rows (<c>coliseum_metrics</c>, <c>seq = 0</c>: one per applied
/// event) through the partial index <c>ix_metrics_funnel</c>: only the step types in the time range are
/// read, sorted by the database by user and time, and streamed; one user's events are in memory at a time.
/// </summary>
public static class FunnelEngine
{
    public const string Other = "(other)";
    public const string None = "(none)";
    private const int MaxGroupLength = 200;

    public static async Task<FunnelResult> RunAsync(IProcessorStore store, FunnelQuery query, string within, CancellationToken cancellationToken)
    {
        var steps = query.Steps;
        await using var connection = await store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        // The answer reflects the log up to the coliseum consumer's cursor; rows committed after this read are left out.
        var logPosition = await Db.ScalarAsync(connection, null, "SELECT position FROM consumer_cursors WHERE name = 'coliseum'", cancellationToken).ConfigureAwait(false);

        // Per step: the filters that apply to it (those on a field its type declares).
        var applicable = steps.Select(type => query.Filters.Where(f => EventCatalogue.TryGet(type, out var spec) && spec.FieldsByName.ContainsKey(f.Field)).ToArray()).ToArray();
        var metadataBreakdown = query.Breakdown is not null && !query.BreakdownIsContext;
        var needMetadata = query.Filters.Count > 0 || metadataBreakdown;
        var types = steps.Distinct(StringComparer.Ordinal).ToArray();
        var sql = new StringBuilder("SELECT m.user_id, m.timestamp, m.position, m.metric_type");
        sql.Append(needMetadata ? ", m.metadata" : ", NULL");
        sql.Append(query.BreakdownIsContext ? ", p.context" : ", NULL");
        sql.Append(" FROM coliseum_metrics m");
        if (query.BreakdownIsContext)
        {
            sql.Append(" LEFT JOIN passport_log p ON p.position = m.position");
        }
        sql.Append(" WHERE m.seq = 0 AND m.metric_type IN (")
            .AppendJoin(", ", types.Select((_, i) => $"@t{i}"))
            .Append(") AND m.timestamp >= @from AND m.timestamp <= @until AND m.position <= @log AND m.user_id IS NOT NULL")
            .Append(" ORDER BY m.user_id, m.timestamp, m.position");
        var parameters = types.Select((t, i) => ($"@t{i}", (object?)t)).ToList();
        parameters.Add(("@from", query.From));
        // A later step may happen up to `within` after a step-1 event, and step-1 events end before To.
        parameters.Add(("@until", query.To - 1 + query.WithinMs));
        parameters.Add(("@log", logPosition));
        await using var command = Db.Command(connection, null, sql.ToString(), parameters.ToArray());

        var matcher = new FunnelMatcher(steps.Count, query.WithinMs, query.From, query.To);
        var groups = new Dictionary<string, Accumulator>(StringComparer.Ordinal);
        var events = new List<FunnelEvent>();
        var gaps = new long[steps.Count];
        string? user = null;

        void Finish()
        {
            if (events.Count == 0)
            {
                return;
            }
            var depth = matcher.Match(events, gaps, out var start);
            if (depth > 0)
            {
                var key = query.Breakdown is null ? "" : events[start].Group ?? None;
                if (!groups.TryGetValue(key, out var acc))
                {
                    groups[key] = acc = new Accumulator(steps.Count);
                }
                acc.Add(depth, gaps);
            }
            events.Clear();
        }

        await using (var rows = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var rowUser = rows.GetString(0);
                if (!string.Equals(rowUser, user, StringComparison.Ordinal))
                {
                    Finish();
                    user = rowUser;
                }
                var timestamp = rows.GetInt64(1);
                var type = rows.GetString(3);
                var startsRange = timestamp >= query.From && timestamp < query.To;
                using var metadata = needMetadata && !rows.IsDBNull(4) ? JsonDocument.Parse(rows.GetString(4)) : null;
                var mask = 0;
                for (var k = 0; k < steps.Count; k++)
                {
                    if (string.Equals(type, steps[k], StringComparison.Ordinal) && Passes(applicable[k], metadata))
                    {
                        mask |= 1 << k;
                    }
                }
                if (mask == 0)
                {
                    continue;
                }
                string? group = null;
                if (query.Breakdown is not null && (mask & 1) != 0 && startsRange)
                {
                    group = metadataBreakdown
                        ? GroupValue(metadata?.RootElement, [query.Breakdown])
                        : ContextValue(rows.IsDBNull(5) ? null : rows.GetString(5), query.Breakdown);
                }
                events.Add(new FunnelEvent(timestamp, rows.GetInt64(2), mask, group));
            }
        }
        Finish();

        var total = new Accumulator(steps.Count);
        foreach (var acc in groups.Values)
        {
            total.Merge(acc);
        }
        List<FunnelGroup>? breakdown = null;
        if (query.Breakdown is not null)
        {
            var ordered = groups.OrderByDescending(g => g.Value.Users[0]).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
            breakdown = ordered.Take(query.BreakdownLimit).Select(g => new FunnelGroup(g.Key, g.Value.Steps(steps))).ToList();
            if (ordered.Count > query.BreakdownLimit)
            {
                var other = new Accumulator(steps.Count);
                foreach (var (_, acc) in ordered.Skip(query.BreakdownLimit))
                {
                    other.Merge(acc);
                }
                breakdown.Add(new FunnelGroup(Other, other.Steps(steps)));
            }
        }
        return new FunnelResult(total.Steps(steps), breakdown, within,
            DateTime.UnixEpoch.AddMilliseconds(query.From), DateTime.UnixEpoch.AddMilliseconds(query.To), logPosition);
    }

    private static bool Passes(FunnelFilter[] filters, JsonDocument? metadata)
    {
        foreach (var filter in filters)
        {
            if (metadata is null || metadata.RootElement.ValueKind != JsonValueKind.Object || !filter.Matches(metadata.RootElement))
            {
                return false;
            }
        }
        return true;
    }

    private static string ContextValue(string? context, string path)
    {
        if (context is null)
        {
            return None;
        }
        try
        {
            using var document = JsonDocument.Parse(context);
            return GroupValue(document.RootElement, path.Split('.')[1..]);
        }
        catch (JsonException)
        {
            return None;
        }
    }

    /// <summary>The scalar at <paramref name="path"/> as text (strings as they are, numbers and booleans as JSON), else <c>(none)</c>.</summary>
    private static string GroupValue(JsonElement? root, string[] path)
    {
        if (root is not { } node)
        {
            return None;
        }
        foreach (var name in path)
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(name, out node))
            {
                return None;
            }
        }
        var text = node.ValueKind switch
        {
            JsonValueKind.String => node.GetString()!,
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => node.GetRawText(),
            _ => null,
        };
        return string.IsNullOrEmpty(text) ? None : text.Length <= MaxGroupLength ? text : text[..MaxGroupLength];
    }

    /// <summary>Users per step and, per step after the first, each user's gap from the previous step (ms).</summary>
    private sealed class Accumulator(int steps)
    {
        public long[] Users { get; } = new long[steps];

        private readonly List<long>[] _gaps = Enumerable.Range(0, steps).Select(_ => new List<long>()).ToArray();

        public void Add(int depth, long[] gaps)
        {
            for (var k = 0; k < depth; k++)
            {
                Users[k]++;
                if (k > 0)
                {
                    _gaps[k].Add(gaps[k]);
                }
            }
        }

        public void Merge(Accumulator other)
        {
            for (var k = 0; k < Users.Length; k++)
            {
                Users[k] += other.Users[k];
                _gaps[k].AddRange(other._gaps[k]);
            }
        }

        public List<FunnelStep> Steps(IReadOnlyList<string> types)
        {
            var list = new List<FunnelStep>(types.Count);
            for (var k = 0; k < types.Count; k++)
            {
                list.Add(new FunnelStep(types[k], Users[k],
                    Ratio(Users[k], Users[0]),
                    k == 0 ? null : Ratio(Users[k], Users[k - 1]),
                    k == 0 ? null : Median(_gaps[k])));
            }
            return list;
        }

        private static double Ratio(long part, long whole) => whole == 0 ? 0 : Math.Round((double)part / whole, 6);

        private static double? Median(List<long> values)
        {
            if (values.Count == 0)
            {
                return null;
            }
            values.Sort();
            var mid = values.Count / 2;
            var ms = values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2.0;
            return Math.Round(ms / 1000.0, 3);
        }
    }
}
