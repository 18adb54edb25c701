namespace Coliseum.Processing;

/// <summary>
/// Wakes the consumers when capture commits new entries, so processing starts at once instead of on a
/// timer. A consumer takes <see cref="Next"/> before it reads the log, then waits on it when the read
/// came back empty: a commit between the read and the wait has already completed that task, so no
/// wake-up is ever missed.
/// </summary>
public sealed class LogSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the log next grows (after the moment this is read).</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>
    /// True while commits made by other processes on the same database wake this signal too (a PostgreSQL
    /// <c>LISTEN</c> connection is up); the consumers' idle poll is then only a fallback and may be slower.
    /// </summary>
    public bool Pushed
    {
        get => Volatile.Read(ref _pushed);
        set => Volatile.Write(ref _pushed, value);
    }

    private bool _pushed;

    /// <summary>Called after a commit that stored at least one new entry (here, or in another process when <see cref="Pushed"/>).</summary>
    public void Notify() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
