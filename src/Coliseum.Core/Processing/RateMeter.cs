namespace Coliseum.Processing;

/// <summary>Events per second over a sliding ten-second window, in one-second slots.</summary>
internal sealed class RateMeter
{
    private const int Slots = 10;
    private readonly long[] _counts = new long[Slots];
    private readonly long[] _seconds = new long[Slots];
    private readonly Lock _lock = new();

    public void Add(long second, int events)
    {
        lock (_lock)
        {
            var slot = (int)(second % Slots);
            if (_seconds[slot] != second)
            {
                _seconds[slot] = second;
                _counts[slot] = 0;
            }
            _counts[slot] += events;
        }
    }

    public double PerSecond(long second)
    {
        long total = 0;
        lock (_lock)
        {
            for (var i = 0; i < Slots; i++)
            {
                if (second - _seconds[i] is >= 0 and < Slots)
                {
                    total += _counts[i];
                }
            }
        }
        return total / (double)Slots;
    }
}
