using System.Globalization;

namespace Coliseum.Bench;

/// <summary>
/// CPU seconds used so far (user + system, from /proc) by given processes and by one PostgreSQL server's
/// processes (the postmaster's children: backends, WAL writer, checkpointer), to tell CPU-bound from waiting.
/// Backends that exit between two readings take their seconds with them, so readings are lower bounds.
/// </summary>
internal static class CpuTime
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static double OfProcess(int pid) => Read($"/proc/{pid}/stat") is { } fields ? Seconds(fields) : 0;

    /// <summary>A backend's parent, the postmaster, when this machine runs that backend (a remote server's pid means nothing here).</summary>
    public static int? Postmaster(int backendPid) => Read($"/proc/{backendPid}/stat") is { Comm: "postgres" } fields
        ? int.Parse(fields.Fields[1], CultureInfo.InvariantCulture)
        : null;

    /// <summary>Per process of the server whose postmaster is <paramref name="postmaster"/>: its CPU seconds so far (empty when unknown).</summary>
    public static Dictionary<int, double> OfPostgres(int? postmaster)
    {
        var result = new Dictionary<int, double>();
        if (postmaster is null)
        {
            return result;
        }
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && Read($"{directory}/stat") is { } fields
                && (pid == postmaster || fields.Fields[1] == postmaster.Value.ToString(CultureInfo.InvariantCulture)))
            {
                result[pid] = Seconds(fields);
            }
        }
        return result;
    }

    /// <summary>What the postgres processes used between two readings (processes present in the second).</summary>
    public static double PostgresBetween(Dictionary<int, double> before, Dictionary<int, double> after) =>
        after.Sum(p => p.Value - before.GetValueOrDefault(p.Key));

    private static double Seconds((string Comm, string[] Fields) fields) =>
        // After "pid (comm) ": field 3 is state, so utime (14) and stime (15) are at 11 and 12 of the rest.
        (long.Parse(fields.Fields[11], CultureInfo.InvariantCulture) + long.Parse(fields.Fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;

    private static (string Comm, string[] Fields)? Read(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            var open = text.IndexOf('(', StringComparison.Ordinal);
            var close = text.LastIndexOf(')');
            return (text[(open + 1)..close], text[(close + 2)..].Split(' '));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
