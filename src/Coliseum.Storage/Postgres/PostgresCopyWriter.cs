using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Coliseum.Capture;
using Npgsql;

namespace Coliseum.Storage.Postgres;

/// <summary>
/// Writes rows in PostgreSQL's binary COPY format (the "Binary Format" section of the COPY documentation) straight
/// into a raw COPY stream: a header, then per row a 16-bit field count and each field as a 32-bit length (-1 for
/// NULL) and its bytes, then a trailer of -1. bigint is 8 bytes big-endian, text is its UTF-8, jsonb is a version
/// byte (1) and the JSON text.
/// </summary>
/// <remarks>
/// This replaces <see cref="NpgsqlBinaryImporter"/> on the append path, where its per-field calls (a parameter, a
/// type lookup and a converter for every value) cost more than the encoding itself. The metadata and context
/// go in as the UTF-8 bytes capture already holds. Memory is one pooled buffer: once the COPY has begun it is
/// sent whenever it fills. Made by <see cref="Prepare"/>, it first only collects rows (growing up to about
/// <see cref="PrepareLimit"/>), so an append can encode its rows before it takes its positions and patch their
/// positions in afterwards (<see cref="SetPositions"/>).
/// </remarks>
internal sealed class PostgresCopyWriter : IAsyncDisposable
{
    private const int BufferSize = 256 * 1024;

    /// <summary>How much a prepared writer collects before its COPY begins: rows past it are encoded as they are sent.</summary>
    public const int PrepareLimit = 16 * 1024 * 1024;
    private static ReadOnlySpan<byte> Signature => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0];

    private NpgsqlRawCopyStream? _stream;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _length;
    private bool _ended;
    private readonly List<int> _positionsAt = [];

    private PostgresCopyWriter(NpgsqlRawCopyStream? stream)
    {
        _stream = stream;
        Signature.CopyTo(_buffer);
        _length = Signature.Length;
        _length += 8; // flags (no OIDs) and header extension length: both 0
        _buffer.AsSpan(Signature.Length, 8).Clear();
    }

    /// <summary>Starts <c>COPY <paramref name="target"/> FROM STDIN (FORMAT BINARY)</c> on the connection.</summary>
    public static async Task<PostgresCopyWriter> BeginAsync(NpgsqlConnection connection, string target, CancellationToken cancellationToken) =>
        new(await connection.BeginRawBinaryCopyAsync($"COPY {target} FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false));

    /// <summary>A writer that collects rows until <see cref="StartAsync"/> begins its COPY.</summary>
    public static PostgresCopyWriter Prepare() => new(null);

    /// <summary>Bytes collected and not yet sent.</summary>
    public int Length => _length;

    /// <summary>Begins <c>COPY <paramref name="target"/> FROM STDIN (FORMAT BINARY)</c> for a prepared writer and sends what it holds.</summary>
    public async Task StartAsync(NpgsqlConnection connection, string target, CancellationToken cancellationToken)
    {
        _stream = await connection.BeginRawBinaryCopyAsync($"COPY {target} FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await _stream.WriteAsync(_buffer.AsMemory(0, _length), cancellationToken).ConfigureAwait(false);
        _length = 0;
    }

    /// <summary>
    /// Gives the rows written by <see cref="WriteEntry"/> before <see cref="StartAsync"/> the positions
    /// <paramref name="first"/>, <paramref name="first"/>+1, … in the order they were written.
    /// </summary>
    public void SetPositions(long first)
    {
        for (var n = 0; n < _positionsAt.Count; n++)
        {
            BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_positionsAt[n]), first + n);
        }
    }

    /// <summary>One log row in the column order of <see cref="StoreRows.EntryColumns"/>.</summary>
    public void WriteEntry(PassportRecord r, long position)
    {
        Fields(18);
        if (_stream is null)
        {
            _positionsAt.Add(_length + 4);
        }
        Bigint(position);
        Text(r.MessageId);
        Text(r.EventType);
        Text(r.EventCategory);
        Text(r.UserId);
        Text(r.AnonymousId);
        Text(r.SessionId);
        Text(r.DeviceId);
        Text(r.EntityType);
        Text(r.EntityId);
        Jsonb(r.Metadata);
        Jsonb(r.Context);
        Bigint(r.OccurredAt);
        Bigint(r.ClientAt);
        Bigint(r.SentAt);
        Bigint(r.ReceivedAt);
        Text(r.Source);
        Text(r.Warnings);
    }

    /// <summary>One <c>passport_message_ids (message_id, append_id, ordinal)</c> row.</summary>
    public void WriteId(string messageId, long appendId, int ordinal)
    {
        Fields(3);
        Text(messageId);
        Bigint(appendId);
        Ensure(8);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), 4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length + 4), ordinal);
        _length += 8;
    }

    /// <summary>Sends the trailer and ends the COPY; a row the server refused throws here (a <see cref="PostgresException"/>).</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_stream is null)
        {
            throw new InvalidOperationException("the COPY has not begun");
        }
        Ensure(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length), -1);
        _length += 2;
        await _stream.WriteAsync(_buffer.AsMemory(0, _length), cancellationToken).ConfigureAwait(false);
        _length = 0;
        _ended = true;
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Ends a COPY that did not complete by cancelling it: nothing of it is stored.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_buffer.Length == 0)
        {
            return;
        }
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        if (!_ended && _stream is not null)
        {
            _ended = true;
            try
            {
                await _stream.CancelAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or ObjectDisposedException or InvalidOperationException)
            {
                // Already failing: the exception that brought us here is the one that matters, and the transaction rolls back.
            }
        }
    }

    private void Fields(short count)
    {
        Ensure(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length), count);
        _length += 2;
    }

    private void Bigint(long? value)
    {
        if (value is not { } v)
        {
            Null();
            return;
        }
        Ensure(12);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), 8);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_length + 4), v);
        _length += 12;
    }

    private void Text(string? value)
    {
        if (value is null)
        {
            Null();
            return;
        }
        Ensure(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
        var written = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length + 4));
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), written);
        _length += 4 + written;
    }

    private void Jsonb(byte[]? json)
    {
        if (json is null)
        {
            Null();
            return;
        }
        Ensure(5 + json.Length);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), json.Length + 1);
        _buffer[_length + 4] = 1; // jsonb binary format version
        json.CopyTo(_buffer.AsSpan(_length + 5));
        _length += 5 + json.Length;
    }

    private void Null()
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), -1);
        _length += 4;
    }

    /// <summary>
    /// Room for <paramref name="bytes"/> more: before the COPY begins, by growing; after, by sending what is written
    /// when it would not fit, and growing only for a value larger than the buffer.
    /// </summary>
    private void Ensure(int bytes)
    {
        if (_length + bytes <= _buffer.Length)
        {
            return;
        }
        if (_stream is null)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_length + bytes, 2 * _buffer.Length));
            _buffer.AsSpan(0, _length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
            return;
        }
        if (_length > 0)
        {
            // Synchronous on purpose: it only fills Npgsql's buffer and sends when that is full (see CopyRowsAsync).
            _stream.Write(_buffer, 0, _length);
            _length = 0;
        }
        if (bytes > _buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(bytes);
        }
    }
}
