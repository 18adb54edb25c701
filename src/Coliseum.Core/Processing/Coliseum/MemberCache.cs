namespace Coliseum.Processing.Coliseum;

/// <summary>
/// (rollup, user) pairs known to be in <c>coliseum_rollup_users</c>, so a user who keeps playing in the same
/// hour is not looked up again. Only committed pairs enter; it forgets everything on a failed commit or a
/// reset (<see cref="Consumer.Invalidate"/>). Bounded: two generations of at most <see cref="Capacity"/>
/// pairs each; when the newer fills up the older is dropped.
/// </summary>
internal sealed class MemberCache
{
    public const int Capacity = 262_144;

    private HashSet<(long, long, long)> _current = [];
    private HashSet<(long, long, long)> _previous = [];
    private readonly Lock _lock = new();

    public bool Contains((long Start, long Rollup, long User) pair)
    {
        lock (_lock)
        {
            return _current.Contains(pair) || _previous.Contains(pair);
        }
    }

    public void AddCommitted(IEnumerable<(long Start, long Rollup, long User)> pairs)
    {
        lock (_lock)
        {
            foreach (var pair in pairs)
            {
                if (_current.Count >= Capacity)
                {
                    _previous = _current;
                    _current = new HashSet<(long, long, long)>(Capacity);
                }
                _current.Add(pair);
            }
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _current = [];
            _previous = [];
        }
    }
}
