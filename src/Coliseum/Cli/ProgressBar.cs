using System.Diagnostics;
using System.Globalization;

namespace Coliseum.Cli;

/// <summary>
/// A progress line on standard error: bar, percent, entries, rate and ETA. Redrawn in place on a
/// terminal at most ten times a second; one line every five seconds when redirected to a file.
/// </summary>
internal sealed class ProgressBar(string label, TextWriter output, bool interactive)
{
    private const int Width = 30;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDraw = -1;
    private long _lastDone = -1;

    public void Report(long done, long total, bool final = false)
    {
        if (final && !interactive && done == _lastDone)
        {
            return;
        }
        var elapsed = _clock.ElapsedMilliseconds;
        var interval = interactive ? 100 : 5_000;
        if (!final && _lastDraw >= 0 && elapsed - _lastDraw < interval)
        {
            return;
        }
        _lastDraw = elapsed;
        _lastDone = done;
        var fraction = total <= 0 ? 1 : Math.Clamp(done / (double)total, 0, 1);
        var filled = (int)Math.Round(fraction * Width);
        var rate = elapsed > 0 ? done * 1000.0 / elapsed : 0;
        var eta = rate > 0 && done < total ? TimeSpan.FromSeconds((total - done) / rate) : TimeSpan.Zero;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{label,-9} [{new string('#', filled)}{new string('-', Width - filled)}] {fraction,4:P0}  {done:N0}/{total:N0}  {rate:N0} ev/s  ETA {Format(eta)}");
        if (interactive)
        {
            output.Write('\r' + line + (final ? Environment.NewLine : ""));
        }
        else
        {
            output.WriteLine(line);
        }
    }

    private static string Format(TimeSpan span) => span.TotalHours >= 1 ? span.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : span.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
