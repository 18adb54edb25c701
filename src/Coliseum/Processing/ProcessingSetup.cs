using System.Text.RegularExpressions;
using Coliseum.Processing;
using Microsoft.Extensions.Options;

namespace Coliseum.Hosting;

/// <summary>Reads and checks <c>Coliseum:Processing</c>; the server and the command-line tools share it.</summary>
internal static partial class ProcessingSetup
{
    public static ProcessingOptions Read(IConfiguration configuration)
    {
        var options = configuration.GetSection(ProcessingOptions.Section).Get<ProcessingOptions>() ?? new ProcessingOptions();
        var errors = new List<string>();
        if (options.BatchSize is < 1 or > 100_000) { errors.Add("Coliseum:Processing:BatchSize must be between 1 and 100000"); }
        if (options.ReplayBatchSize is < 1 or > 200_000) { errors.Add("Coliseum:Processing:ReplayBatchSize must be between 1 and 200000"); }
        if (options.MaxAttempts is < 1 or > 10) { errors.Add("Coliseum:Processing:MaxAttempts must be between 1 and 10"); }
        if (options.LeaseSeconds is < 2 or > 300) { errors.Add("Coliseum:Processing:LeaseSeconds must be between 2 and 300"); }
        if (options.IdlePollMilliseconds is < 10 or > 60_000) { errors.Add("Coliseum:Processing:IdlePollMilliseconds must be between 10 and 60000"); }
        if (options.LeaderboardSize is < 1 or > 1_000) { errors.Add("Coliseum:Processing:LeaderboardSize must be between 1 and 1000"); }
        if (options.AttributionLookbackDays is < 1 or > 365) { errors.Add("Coliseum:Processing:AttributionLookbackDays must be between 1 and 365"); }
        try
        {
            TimeBuckets.For(options.TimeZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            errors.Add($"Coliseum:Processing:TimeZone '{options.TimeZone}' is not a known time zone (use an IANA name such as Europe/Madrid)");
        }
        foreach (var (id, board) in options.Leaderboards)
        {
            var where = $"Coliseum:Processing:Leaderboards:{id}";
            if (!BoardId().IsMatch(id)) { errors.Add($"{where}: the id must be 1-64 of a-z, 0-9 and _"); }
            if (!board.Enabled) { continue; }
            if (board.Metrics.Length == 0 || board.Metrics.Any(string.IsNullOrWhiteSpace)) { errors.Add($"{where}:Metrics must name at least one metric type"); }
            if (board.Score is not ("count" or "sum")) { errors.Add($"{where}:Score must be count or sum"); }
            if (!Metric.Entities.Contains(board.Entity)) { errors.Add($"{where}:Entity must be one of {string.Join(", ", Metric.Entities)}"); }
            if (board.Scope is not null && (!Metric.Entities.Contains(board.Scope) || board.Scope == board.Entity)) { errors.Add($"{where}:Scope must be another of {string.Join(", ", Metric.Entities)}"); }
            if (board.Currency is not null && !Currency().IsMatch(board.Currency)) { errors.Add($"{where}:Currency must be a lower-case ISO 4217 code such as usd"); }
        }
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(ProcessingOptions.Section, typeof(ProcessingOptions), errors);
        }
        return options;
    }

    [GeneratedRegex("^[a-z0-9_]{1,64}$")]
    private static partial Regex BoardId();

    [GeneratedRegex("^[a-z]{3}$")]
    private static partial Regex Currency();
}
