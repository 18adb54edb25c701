namespace Coliseum.Tests.Infrastructure;

/// <summary>
/// Every table the consumers write (everything but the log, cursors, dead letters and migrations),
/// dumped in a canonical order, so two databases can be compared exactly: incremental against rebuild.
/// </summary>
public static class Aggregates
{
    // coliseum_reports is not derived from the log: requests create it and a replay keeps it.
    private static readonly HashSet<string> NotAggregates = ["passport_log", "consumer_cursors", "consumer_dead_letters", "schema_migrations", "coliseum_reports", "privacy_requests", "privacy_suppressions"];

    public static SortedDictionary<string, List<string>> Snapshot(string databasePath)
    {
        var tables = new List<string>();
        var listing = databasePath.StartsWith(TestBackend.Prefix, StringComparison.Ordinal)
            // The log's partitions, its message-id table and counter are the log, not aggregates.
            ? Sql.Column(databasePath, $"""
                SELECT table_name FROM information_schema.tables
                WHERE table_schema = '{databasePath[TestBackend.Prefix.Length..]}' AND table_type = 'BASE TABLE'
                  AND table_name NOT LIKE 'passport_log%' AND table_name <> 'passport_message_ids' ORDER BY table_name
                """)
            : Sql.Column(databasePath, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
        tables.AddRange(listing.Where(t => !NotAggregates.Contains(t)));
        var snapshot = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            var rows = Sql.Rows(databasePath, $"SELECT * FROM {table}");
            rows.Sort(StringComparer.Ordinal);
            snapshot[table] = rows;
        }
        return snapshot;
    }

    /// <summary>Asserts two snapshots are identical, naming the first table and row that differ.</summary>
    public static void Equal(SortedDictionary<string, List<string>> expected, SortedDictionary<string, List<string>> actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (table, rows) in expected)
        {
            var other = actual[table];
            var missing = rows.Except(other).Take(3).ToList();
            var extra = other.Except(rows).Take(3).ToList();
            Assert.True(missing.Count == 0 && extra.Count == 0 && rows.Count == other.Count,
                $"{table} differs ({rows.Count} vs {other.Count} rows); only in expected: [{string.Join("; ", missing)}]; only in actual: [{string.Join("; ", extra)}]");
        }
    }
}
