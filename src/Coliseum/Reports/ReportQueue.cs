using System.Threading.Channels;

namespace Coliseum.Reports;

/// <summary>
/// Reports waiting to be computed. Bounded by <see cref="ReportOptions.MaxPending"/>: a request first
/// reserves a slot (or is refused with 503), and the slot is freed when its report is done or failed.
/// </summary>
internal sealed class ReportQueue(ReportOptions options)
{
    private readonly Channel<long> _channel = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private int _outstanding;

    /// <summary>Reports reserved, queued or being computed.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    public ChannelReader<long> Reader => _channel.Reader;

    public bool TryReserve()
    {
        if (Interlocked.Increment(ref _outstanding) <= options.MaxPending)
        {
            return true;
        }
        Interlocked.Decrement(ref _outstanding);
        return false;
    }

    /// <summary>Queues a report whose slot is reserved.</summary>
    public void Enqueue(long id) => _channel.Writer.TryWrite(id);

    /// <summary>Queues a report a stopped server left unfinished (at start, before any request; may exceed the bound once).</summary>
    public void Requeue(long id)
    {
        Interlocked.Increment(ref _outstanding);
        _channel.Writer.TryWrite(id);
    }

    public void Release() => Interlocked.Decrement(ref _outstanding);
}
