using System.Buffers;

namespace Coliseum.Capture;

/// <summary>
/// Reads a request body into a buffer rented from <see cref="ArrayPool{T}.Shared"/>, never holding more than
/// a limit: the one read loop capture and the Stripe webhook share. The caller returns the buffer.
/// </summary>
internal static class BoundedBody
{
    /// <summary>The body (<see cref="Buffer"/>, <see cref="Length"/>), or why not: past the limit, or unreadable.</summary>
    public readonly record struct Read(byte[]? Buffer, int Length, bool TooLarge, string? Unreadable);

    public static async Task<Read> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 16 * 1024, limit) + 1);
        var length = 0;
        try
        {
            var reader = request.BodyReader;
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var data = result.Buffer;
                if (length + data.Length > limit)
                {
                    reader.AdvanceTo(data.End);
                    ArrayPool<byte>.Shared.Return(buffer);
                    return new(null, 0, true, null);
                }
                if (length + data.Length > buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(buffer.Length * 2L, length + data.Length), limit + 1L));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                data.CopyTo(buffer.AsSpan(length));
                length += (int)data.Length;
                reader.AdvanceTo(data.End);
                if (result.IsCompleted)
                {
                    return new(buffer, length, false, null);
                }
            }
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own body limit, a truncated upload, a bad chunk.
            ArrayPool<byte>.Shared.Return(buffer);
            return ex.StatusCode == 413 ? new(null, 0, true, null) : new(null, 0, false, ex.Message);
        }
    }
}
