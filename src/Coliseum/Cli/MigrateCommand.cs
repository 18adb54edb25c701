using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Coliseum.Hosting;
using Coliseum.Processing;

namespace Coliseum.Cli;

/// <summary><c>coliseum migrate</c>: creates or upgrades the configured database's schema, as <c>serve</c> does at start.</summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var dataDir = ProcessingCommands.DataDirOption();
        var command = new Command("migrate",
            "Create or upgrade the database schema (SQLite in the data directory, or PostgreSQL with Coliseum__Storage__Provider=postgres) and list its migrations. Safe beside running servers.")
        {
            dataDir,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var configuration = StoreSession.Configuration(parse.GetValue(dataDir), parse.UnmatchedTokens);
            var options = ColiseumOptions.Read(configuration);
            var directory = Path.GetFullPath(options.DataDirectory);
            var where = StorageSetup.Describe(options, directory);
            await using var store = StorageSetup.Open(options, directory);
            var before = await AppliedAsync((IProcessorStore)store, quiet: true, cancellationToken);
            await store.InitializeAsync(cancellationToken);
            var after = await AppliedAsync((IProcessorStore)store, quiet: false, cancellationToken);
            var added = after.Count - before.Count;
            foreach (var (version, name, appliedAt) in after)
            {
                Console.Out.WriteLine($"{version,4}  {name,-24} {appliedAt}");
            }
            Console.Error.WriteLine(added == 0
                ? $"{where}: up to date at version {after[^1].Version}; nothing to apply."
                : $"{where}: applied {added} migration{(added == 1 ? "" : "s")}; now at version {after[^1].Version}.");
            return 0;
        });
        return command;
    }

    /// <summary>The applied migrations; none when the database or its schema_migrations table does not exist yet.</summary>
    private static async Task<List<(long Version, string Name, string AppliedAt)>> AppliedAsync(IProcessorStore store, bool quiet, CancellationToken cancellationToken)
    {
        var applied = new List<(long, string, string)>();
        try
        {
            await using var connection = await store.OpenReaderAsync(cancellationToken);
            await using var command = Db.Command(connection, null, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                // PostgreSQL keeps a timestamptz, SQLite ISO 8601 text: shown alike.
                var at = reader.GetValue(2) switch
                {
                    DateTime time => new DateTimeOffset(time.ToUniversalTime(), TimeSpan.Zero),
                    var text => DateTimeOffset.Parse(Convert.ToString(text, CultureInfo.InvariantCulture)!, CultureInfo.InvariantCulture),
                };
                var shown = at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                applied.Add((Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture), reader.GetString(1), shown));
            }
        }
        catch (DbException) when (quiet)
        {
            // Before the first migration there is no database file, schema or table to read.
        }
        return applied;
    }
}
