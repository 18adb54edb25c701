namespace Coliseum.Query;

/// <summary>One event of a user that may be a step: its time, log position and the steps it qualifies for (bit k = step k).</summary>
internal readonly record struct FunnelEvent(long Timestamp, long Position, int Steps, string? Group);

/// <summary>
/// Finds a user's best attempt at a funnel. Every step-1 event inside the range may start an attempt;
/// from it, each later step takes the user's earliest qualifying event at or after the previous step's
/// time (equal times allowed, an event serves one step only) and at most <c>within</c> after the start.
/// Greedy earliest matching reaches the deepest step any matching from that start can reach. The best
/// attempt is the deepest, then the one with the earliest start (time, then log position).
/// </summary>
internal sealed class FunnelMatcher(int steps, long withinMs, long from, long to)
{
    private readonly List<int>[] _byStep = Enumerable.Range(0, steps).Select(_ => new List<int>()).ToArray();
    private readonly int[] _used = new int[steps];
    private readonly long[] _gaps = new long[steps];

    /// <summary>The best attempt's depth (0 when no step-1 event is in range), its start's index, and the gap before each step in ms in <paramref name="gaps"/>.</summary>
    public int Match(List<FunnelEvent> events, long[] gaps, out int start)
    {
        foreach (var list in _byStep)
        {
            list.Clear();
        }
        for (var i = 0; i < events.Count; i++)
        {
            for (var k = 0; k < steps; k++)
            {
                if ((events[i].Steps & (1 << k)) != 0)
                {
                    _byStep[k].Add(i);
                }
            }
        }
        var best = 0;
        start = -1;
        foreach (var s in _byStep[0])
        {
            var begin = events[s].Timestamp;
            if (begin < from || begin >= to)
            {
                continue;
            }
            var depth = Attempt(events, s);
            if (depth > best)
            {
                best = depth;
                start = s;
                Array.Copy(_gaps, gaps, steps);
                if (depth == steps)
                {
                    break;
                }
            }
        }
        return best;
    }

    private int Attempt(List<FunnelEvent> events, int s)
    {
        var deadline = events[s].Timestamp + withinMs;
        var previous = events[s].Timestamp;
        _used[0] = s;
        _gaps[0] = 0;
        for (var k = 1; k < steps; k++)
        {
            var list = _byStep[k];
            var j = LowerBound(events, list, previous);
            while (j < list.Count && IsUsed(list[j], k))
            {
                j++;
            }
            if (j == list.Count || events[list[j]].Timestamp > deadline)
            {
                return k;
            }
            _used[k] = list[j];
            _gaps[k] = events[list[j]].Timestamp - previous;
            previous = events[list[j]].Timestamp;
        }
        return steps;
    }

    private bool IsUsed(int index, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (_used[i] == index)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The first entry of <paramref name="list"/> (indices in time order) whose event is at or after <paramref name="at"/>.</summary>
    private static int LowerBound(List<FunnelEvent> events, List<int> list, long at)
    {
        int lo = 0, hi = list.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (events[list[mid]].Timestamp < at)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
