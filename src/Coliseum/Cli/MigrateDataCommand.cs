using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Coliseum.Storage.Postgres;
using Npgsql;

namespace Coliseum.Cli;

/// <summary>
/// <c>coliseum migrate-data --from sqlite:PATH --to postgres:CONN</c>: copies the Passport log (same positions,
/// message ids, times and blanked rows), the keys and the privacy tables from the embedded SQLite database into
/// an empty PostgreSQL schema, or continues a copy that stopped part way. The consumers' tables are not copied:
/// they are rebuilt from the log on PostgreSQL. The copy itself is <see cref="DataMigration"/>.
/// </summary>
internal static class MigrateDataCommand
{
    public const int DefaultBatch = 5000;

    public static Command Create()
    {
        // Not Required, and --batch read as text: a missing or malformed value is answered here, with exit code 2.
        var from = new Option<string?>("--from") { Description = "sqlite:PATH, a coliseum.db file or the data directory holding it (required)" };
        var to = new Option<string?>("--to") { Description = "postgres:CONNECTION, an Npgsql connection string: Host=…;Database=…;Username=…;Password=… (required)" };
        var schema = new Option<string?>("--schema") { Description = "The PostgreSQL schema to copy into (default Coliseum:Storage:Schema, or public)" };
        var batch = new Option<string?>("--batch") { Description = $"Log entries per PostgreSQL transaction (default {DefaultBatch})" };
        var rebuild = new Option<bool>("--rebuild") { Description = "Then build the consumers' tables on PostgreSQL, as coliseum replay does (otherwise serve builds them when it starts)" };
        var command = new Command("migrate-data",
            "Copy the Passport log, keys and privacy records from SQLite into an empty PostgreSQL schema (stop coliseum serve first); " +
            "run it again to continue a copy that was interrupted. The consumers rebuild from the log on PostgreSQL.")
        { from, to, schema, batch, rebuild };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!TryParse(parse.GetValue(from), parse.GetValue(to), parse.GetValue(schema) ?? SchemaSetting(parse.UnmatchedTokens), parse.GetValue(batch), out var arguments, out var error))
            {
                Console.Error.WriteLine($"migrate-data: {error}");
                return 2;
            }
            arguments = arguments with { Rebuild = parse.GetValue(rebuild) };
            // Ctrl-C and SIGTERM end the copy between batches (the batch in flight rolls back) and say how to continue.
            // Handled here rather than left to System.CommandLine: with the invocation Program.cs sets up, SIGINT and
            // SIGTERM killed the process at once (seen on Linux), before it could say anything.
            using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; interrupted.Cancel(); };
            Console.CancelKeyPress += onCancel;
            using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; interrupted.Cancel(); });
            try
            {
                var exit = await RunAsync(arguments, Console.Out, Console.Error, interrupted.Token);
                return exit == 0 && arguments.Rebuild ? await RebuildAsync(arguments, parse.UnmatchedTokens, interrupted.Token) : exit;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        });
        return command;
    }

    /// <summary>Validates the arguments; <paramref name="error"/> says which one is wrong and how, never with a password in it.</summary>
    public static bool TryParse(string? from, string? to, string schema, string? batchText, out MigrateDataArguments arguments, out string error)
    {
        arguments = null!;
        NpgsqlConnectionStringBuilder target;
        if (from is null || to is null)
        {
            error = "--from sqlite:PATH and --to postgres:CONNECTION are both required, e.g. coliseum migrate-data --from sqlite:./data --to 'postgres:Host=db;Database=coliseum;Username=coliseum;Password=…'";
            return false;
        }
        if (!from.StartsWith("sqlite:", StringComparison.Ordinal) || from.Length == "sqlite:".Length)
        {
            error = $"--from must be sqlite:PATH (a coliseum.db file or a data directory), not '{from}'; SQLite is the only source";
            return false;
        }
        var path = Path.GetFullPath(from["sqlite:".Length..]);
        var source = Directory.Exists(path) ? Path.Combine(path, "coliseum.db") : path;
        if (!File.Exists(source))
        {
            error = $"--from: no Coliseum database at {source}";
            return false;
        }
        if (!to.StartsWith("postgres:", StringComparison.Ordinal) || to.Length == "postgres:".Length)
        {
            error = $"--to must be postgres:CONNECTION with an Npgsql connection string (postgres:Host=db;Database=coliseum;Username=coliseum;Password=…), not '{Masked(to)}'";
            return false;
        }
        try
        {
            target = new NpgsqlConnectionStringBuilder(to["postgres:".Length..]);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            // Npgsql's message names the bad keyword, never a value.
            error = $"--to: not a valid Npgsql connection string: {ex.Message}";
            return false;
        }
        if (string.IsNullOrEmpty(target.Host))
        {
            error = "--to: the connection string names no Host";
            return false;
        }
        try
        {
            // Builds (does not open) a data source, which refuses a schema name it could not use.
            using var check = PostgresDataSource.Create(target.ConnectionString, schema);
        }
        catch (ArgumentException ex)
        {
            error = $"--schema: {ex.Message.Split(" (Parameter", 2)[0]}";
            return false;
        }
        var batch = DefaultBatch;
        if (batchText is not null && (!int.TryParse(batchText, NumberStyles.None, CultureInfo.InvariantCulture, out batch) || batch is < 1 or > 100_000))
        {
            error = $"--batch must be a whole number from 1 to 100000, not '{batchText}'";
            return false;
        }
        arguments = new MigrateDataArguments(source, target, schema, batch);
        error = "";
        return true;
    }

    /// <summary>Where the target is, for messages: host, port, database, user, never the password.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder target) =>
        string.Create(CultureInfo.InvariantCulture, $"{target.Username ?? "(default user)"}@{target.Host}:{target.Port}/{target.Database ?? "(default database)"}");

    /// <summary>
    /// Runs every consumer over the copied log through the processor, configured as <c>serve</c> would be (appsettings.json,
    /// <c>Coliseum__*</c> variables, <c>--Coliseum:…</c> arguments: the time zone matters to rollups) but on the target.
    /// </summary>
    private static async Task<int> RebuildAsync(MigrateDataArguments arguments, IEnumerable<string> settings, CancellationToken cancellationToken)
    {
        string[] target = [.. settings, "--Coliseum:Storage:Provider=postgres", $"--ConnectionStrings:Coliseum={arguments.Target.ConnectionString}", $"--Coliseum:Storage:Schema={arguments.Schema}"];
        await using var session = await StoreSession.OpenAsync(null, target, cancellationToken);
        var head = await session.Store.GetHeadAsync(cancellationToken);
        foreach (var runner in session.Processor.Runners)
        {
            var bar = new ProgressBar(runner.Name, Console.Error, !Console.IsErrorRedirected);
            var clock = Stopwatch.StartNew();
            try
            {
                await runner.ResetAsync(cancellationToken);
                var applied = await runner.CatchUpAsync(session.Processor.Options.ReplayBatchSize, (cursor, last) => bar.Report(cursor, last), cancellationToken);
                bar.Report(Math.Max(runner.Cursor, 0), Math.Max(head, runner.Cursor), final: true);
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{runner.Name}: {applied:N0} entries in {clock.Elapsed.TotalSeconds:N1} s ({applied / Math.Max(clock.Elapsed.TotalSeconds, 0.001):N0}/s)"));
            }
            catch (InvalidOperationException ex)
            {
                Console.Error.WriteLine($"migrate-data: rebuilding {runner.Name}: {ex.Message}");
                return 1;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Each batch commits with its cursor, so nothing is half applied.
                Console.Error.WriteLine();
                Console.Error.WriteLine($"migrate-data: the rebuild was interrupted; the log is copied, and coliseum serve on PostgreSQL (or coliseum replay there) finishes it.");
                return 130;
            }
            finally
            {
                await runner.ReleaseAsync(CancellationToken.None);
            }
        }
        return 0;
    }

    /// <summary>A connection string with every <c>Password=…</c> (any case, up to the next ';') replaced by <c>Password=***</c>.</summary>
    public static string Masked(string text) => System.Text.RegularExpressions.Regex.Replace(
        text, @"(?i)(password|pwd)\s*=\s*[^;]*", "$1=***");

    private static string SchemaSetting(IEnumerable<string> settings) =>
        StoreSession.Configuration(null, settings)["Coliseum:Storage:Schema"] is { Length: > 0 } configured ? configured : "public";

    private static async Task<int> RunAsync(MigrateDataArguments arguments, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var (source, target, schema, batch, _) = arguments;
        var where = $"{Describe(target)}, schema {schema}";
        await using var dataSource = PostgresDataSource.Create(target.ConnectionString, schema);
        await using var migration = new DataMigration(source, dataSource, schema);
        var clock = Stopwatch.StartNew();
        try
        {
            var plan = await migration.PrepareAsync(cancellationToken);
            if (plan.Refusal is { } refusal)
            {
                await error.WriteLineAsync($"migrate-data: {refusal}");
                return 1;
            }
            await error.WriteLineAsync(plan.From == 0
                ? $"Copying {plan.To:N0} log entries from {source} to {where}"
                : plan.From < plan.To
                    ? $"Continuing an earlier copy: {where} holds entries 1 to {plan.From:N0} of this log; copying {plan.From + 1:N0} to {plan.To:N0}"
                    : $"The log is already copied to {where} ({plan.To:N0} entries); copying keys and privacy records again");
            var bar = new ProgressBar("log", error, !Console.IsErrorRedirected);
            var copyClock = Stopwatch.StartNew();
            var copied = await migration.CopyLogAsync(plan, batch, (done, total) => bar.Report(done, total), cancellationToken);
            if (copied > 0)
            {
                bar.Report(copied, plan.To - plan.From, final: true);
            }
            var logSeconds = copyClock.Elapsed.TotalSeconds;
            await migration.CheckNoErasureSinceAsync(plan, cancellationToken);
            var keys = await migration.CopyKeysAsync(cancellationToken);

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Copied {copied:N0} log entries in {logSeconds:N1} s ({copied / Math.Max(logSeconds, 0.001):N0}/s); the log on PostgreSQL now holds {plan.To:N0}."));
            await output.WriteLineAsync($"Keys: {keys.Added} added, {keys.Revoked} marked revoked, {keys.Source} in the source{(keys.OnlyInTarget > 0 ? $"; {keys.OnlyInTarget} key(s) already in the target and not in the source were kept" : "")}.");
            foreach (var table in plan.Tables)
            {
                await output.WriteLineAsync($"{table.Name}: {table.Message}");
            }
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Done in {clock.Elapsed.TotalSeconds:N1} s."));
            await output.WriteLineAsync(arguments.Rebuild ? "Rebuilding the consumers' tables from the log on PostgreSQL:" :
                "The consumers' tables (metrics, rollups, leaderboards, ledger, profiles) were not copied: their cursors start at 0 on PostgreSQL, " +
                "and they rebuild from the log when coliseum serve starts with Coliseum__Storage__Provider=postgres.");
            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync();
            await error.WriteLineAsync($"migrate-data: interrupted; {where} holds a prefix of the log. Run the same command again to continue from there.");
            return 130;
        }
        catch (MigrationException ex)
        {
            await error.WriteLineAsync();
            await error.WriteLineAsync($"migrate-data: {ex.Message}");
            return 1;
        }
        catch (NpgsqlException ex)
        {
            await error.WriteLineAsync();
            await error.WriteLineAsync($"migrate-data: PostgreSQL at {where}: {Masked(ex.Message)}");
            return 1;
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            await error.WriteLineAsync();
            await error.WriteLineAsync($"migrate-data: reading {source}: {ex.Message}");
            return 1;
        }
    }
}

/// <param name="Source">The SQLite database file.</param>
internal sealed record MigrateDataArguments(string Source, NpgsqlConnectionStringBuilder Target, string Schema, int Batch, bool Rebuild = false);
