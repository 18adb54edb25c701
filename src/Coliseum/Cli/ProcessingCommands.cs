using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Coliseum.Processing;

namespace Coliseum.Cli;

/// <summary><c>coliseum replay</c> and <c>coliseum deadletter list|retry</c>.</summary>
internal static class ProcessingCommands
{
    public static Command Replay()
    {
        var consumer = new Option<string?>("--consumer") { Description = "Only this consumer (coliseum, treasury, mediaid); default all" };
        var dataDir = DataDirOption();
        var command = new Command("replay", "Drop a consumer's state and re-apply the whole Passport log (stop coliseum serve first).") { consumer, dataDir };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var session = await StoreSession.OpenAsync(parse.GetValue(dataDir), parse.UnmatchedTokens, cancellationToken);
            if (!TrySelect(session.Processor, parse.GetValue(consumer), out var runners))
            {
                return 2;
            }
            var head = await session.Store.GetHeadAsync(cancellationToken);
            Console.Error.WriteLine($"Replaying {head:N0} log entries in {session.DataDirectory} through {string.Join(", ", runners.Select(r => r.Name))}");
            foreach (var runner in runners)
            {
                var bar = new ProgressBar(runner.Name, Console.Error, !Console.IsErrorRedirected);
                var clock = Stopwatch.StartNew();
                try
                {
                    await runner.ResetAsync(cancellationToken);
                    var applied = await runner.CatchUpAsync(session.Processor.Options.ReplayBatchSize, (cursor, last) => bar.Report(cursor, last), cancellationToken);
                    var end = await session.Store.GetHeadAsync(cancellationToken);
                    bar.Report(Math.Max(runner.Cursor, 0), Math.Max(end, runner.Cursor), final: true);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{runner.Name}: {applied:N0} entries in {clock.Elapsed.TotalSeconds:N1} s ({applied / Math.Max(clock.Elapsed.TotalSeconds, 0.001):N0}/s)"));
                }
                catch (InvalidOperationException ex)
                {
                    Console.Error.WriteLine($"replay: {ex.Message}");
                    return 1;
                }
                finally
                {
                    await runner.ReleaseAsync(CancellationToken.None);
                }
            }
            var status = await session.Processor.StatusAsync(cancellationToken);
            foreach (var c in status.Consumers.Where(c => runners.Any(r => r.Name == c.Name) && c.DeadLetters > 0))
            {
                Console.Error.WriteLine($"{c.Name}: {c.DeadLetters} entries dead-lettered; see `coliseum deadletter list`");
            }
            return 0;
        });
        return command;
    }

    public static Command DeadLetter()
    {
        var consumer = new Option<string?>("--consumer") { Description = "Only this consumer; default all" };
        var dataDir = DataDirOption();
        var limit = new Option<int>("--limit") { Description = "Most entries to list", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "Show open dead letters, newest first.") { consumer, dataDir, limit };
        list.TreatUnmatchedTokensAsErrors = false;
        list.SetAction(async (parse, cancellationToken) =>
        {
            await using var session = await StoreSession.OpenAsync(parse.GetValue(dataDir), parse.UnmatchedTokens, cancellationToken);
            if (!TrySelect(session.Processor, parse.GetValue(consumer), out _))
            {
                return 2;
            }
            var letters = await DeadLetters.ListAsync(session.Processor.Store, parse.GetValue(consumer), Math.Clamp(parse.GetValue(limit), 1, 10_000), cancellationToken);
            if (letters.Count == 0)
            {
                Console.Out.WriteLine("No open dead letters.");
                return 0;
            }
            Console.Out.WriteLine($"{"CONSUMER",-10} {"POSITION",10} {"TYPE",-32} {"TRIES",5}  {"FAILED AT (UTC)",-20} ERROR");
            foreach (var d in letters)
            {
                var at = DateTimeOffset.FromUnixTimeMilliseconds(d.FailedAt).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
                Console.Out.WriteLine($"{d.Consumer,-10} {d.Position,10} {d.EventType,-32} {d.Attempts,5}  {at,-20} {d.Error}");
            }
            return 0;
        });
        var retry = new Command("retry", "Re-apply open dead letters once their cause is fixed (stop coliseum serve first, or POST /api/coliseum/deadletters/retry).") { consumer, dataDir };
        retry.TreatUnmatchedTokensAsErrors = false;
        retry.SetAction(async (parse, cancellationToken) =>
        {
            await using var session = await StoreSession.OpenAsync(parse.GetValue(dataDir), parse.UnmatchedTokens, cancellationToken);
            if (!TrySelect(session.Processor, parse.GetValue(consumer), out var runners))
            {
                return 2;
            }
            var failing = 0;
            foreach (var runner in runners)
            {
                try
                {
                    var (resolved, failed) = await runner.RetryDeadLettersAsync(cancellationToken);
                    Console.Out.WriteLine($"{runner.Name}: {resolved} applied, {failed} still failing");
                    failing += failed;
                }
                catch (InvalidOperationException ex)
                {
                    Console.Error.WriteLine($"deadletter retry: {ex.Message}");
                    return 1;
                }
                finally
                {
                    await runner.ReleaseAsync(CancellationToken.None);
                }
            }
            return failing == 0 ? 0 : 3;
        });
        return new Command("deadletter", "Entries a consumer could not apply.") { list, retry };
    }

    /// <summary>The <c>--data-dir</c> option every command that opens the store takes.</summary>
    internal static Option<string?> DataDirOption() => new("--data-dir") { Description = "The data directory (default ./data, or Coliseum__DataDirectory)" };

    private static bool TrySelect(Processor processor, string? name, out IReadOnlyList<ConsumerRunner> runners)
    {
        if (name is null)
        {
            runners = processor.Runners;
            return true;
        }
        var runner = processor.Runner(name);
        runners = runner is null ? [] : [runner];
        if (runner is null)
        {
            Console.Error.WriteLine($"no consumer '{name}'; the consumers are {string.Join(", ", processor.Names)}");
        }
        return runner is not null;
    }
}
