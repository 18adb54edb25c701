using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Coliseum.Capture;

/// <summary>
/// A capture request's body, read within the size limit into a pooled buffer, checked for UTF-8 and
/// parsed once. Dispose returns the buffer.
/// </summary>
internal sealed class CaptureBody : IDisposable
{
    private byte[]? _buffer;

    private CaptureBody(byte[] buffer, JsonDocument document)
    {
        _buffer = buffer;
        Document = document;
    }

    public JsonDocument Document { get; }

    public JsonElement Root => Document.RootElement;

    public void Dispose()
    {
        Document.Dispose();
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    /// <summary>Reads and parses the body, or returns the 4xx that says why it cannot be.</summary>
    public static async Task<(CaptureBody? Body, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, CaptureOptions options, CancellationToken cancellationToken)
    {
        if (!IsJsonOrText(request.ContentType))
        {
            return (null, Problems.Create(415, $"Content-Type must be application/json or text/plain with UTF-8, not '{request.ContentType ?? "(none)"}'"));
        }
        var limit = options.MaxRequestBytes;
        if (request.ContentLength > limit)
        {
            return (null, Problems.Create(413, $"request body is {request.ContentLength} bytes; the limit is {limit} bytes"));
        }

        var body = await BoundedBody.ReadAsync(request, limit, cancellationToken).ConfigureAwait(false);
        if (body.Buffer is not { } buffer)
        {
            return (null, body.TooLarge
                ? Problems.Create(413, $"request body is larger than the limit of {limit} bytes")
                : Problems.Create(400, $"request body could not be read: {body.Unreadable}"));
        }
        var length = body.Length;

        var problem = Parse(buffer, length, options, out var document);
        if (problem is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, problem);
        }
        return (new CaptureBody(buffer, document!), null);
    }

    private static ProblemHttpResult? Parse(byte[] buffer, int length, CaptureOptions options, out JsonDocument? document)
    {
        document = null;
        var span = buffer.AsSpan(0, length);
        if (span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return Problems.Create(400, "request body is empty; send a JSON object");
        }
        if (!Utf8.IsValid(span))
        {
            return Problems.Create(400, "request body is not valid UTF-8");
        }
        // Before parsing: the parser itself throws InvalidOperationException on such a property name.
        if (UnpairedSurrogateEscape(span) is { } escape)
        {
            return Problems.Create(400, $"request body is not valid Unicode: the escape {escape} is half of a UTF-16 surrogate pair");
        }
        try
        {
            document = JsonDocument.Parse(buffer.AsMemory(0, length), new JsonDocumentOptions
            {
                MaxDepth = options.MaxDepth,
                AllowDuplicateProperties = false,
            });
        }
        catch (JsonException ex)
        {
            return Problems.Create(400, NestsDeeperThan(span, options.MaxDepth)
                ? $"request body nests deeper than {options.MaxDepth} levels"
                : $"request body is not valid JSON: {ex.Message}");
        }
        return null;
    }

    /// <summary>
    /// Whether the JSON opens an object or array deeper than <paramref name="maxDepth"/> (the body's own
    /// object is level 1) before any syntax error. Measured rather than read from the parser's message,
    /// which can say "depth" for other reasons, e.g. a duplicate property named depth.
    /// </summary>
    private static bool NestsDeeperThan(ReadOnlySpan<byte> json, int maxDepth)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth + 1 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= maxDepth)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
        }
        return false;
    }

    /// <summary>
    /// The first <c>\uD800</c>-<c>\uDFFF</c> escape that is not half of a high-low pair, or null. JSON's
    /// grammar allows one, but it is no character: reading it as a string throws, and it cannot be
    /// stored as UTF-8. Backslashes outside strings are left for the parser to refuse.
    /// </summary>
    private static string? UnpairedSurrogateEscape(ReadOnlySpan<byte> json)
    {
        int i;
        while ((i = json.IndexOf((byte)'\\')) >= 0)
        {
            if (!TryReadEscapedUnit(json[i..], out var unit))
            {
                json = json[Math.Min(i + 2, json.Length)..]; // \" \\ \n ... or not an escape at all
                continue;
            }
            var escape = json.Slice(i, 6);
            json = json[(i + 6)..];
            if (char.IsHighSurrogate(unit) && TryReadEscapedUnit(json, out var low) && char.IsLowSurrogate(low))
            {
                json = json[6..];
            }
            else if (char.IsSurrogate(unit))
            {
                return System.Text.Encoding.ASCII.GetString(escape);
            }
        }
        return null;
    }

    /// <summary>Reads <c>\uXXXX</c> at the start of <paramref name="text"/>.</summary>
    private static bool TryReadEscapedUnit(ReadOnlySpan<byte> text, out char unit)
    {
        unit = '\0';
        if (text.Length < 6 || text[0] != (byte)'\\' || text[1] != (byte)'u')
        {
            return false;
        }
        var value = 0;
        foreach (var digit in text.Slice(2, 4))
        {
            var nibble = digit switch
            {
                >= (byte)'0' and <= (byte)'9' => digit - '0',
                >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => digit - 'A' + 10,
                _ => -1,
            };
            if (nibble < 0)
            {
                return false;
            }
            value = (value << 4) | nibble;
        }
        unit = (char)value;
        return true;
    }

    private static bool IsJsonOrText(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }
        // charset="utf-8" is the same parameter as charset=utf-8 (RFC 9110, 5.6.6).
        var charset = HeaderUtilities.RemoveQuotes(media.Charset).Value;
        if (charset is not null && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var type = media.MediaType.Value ?? "";
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.Equals("text/plain", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }
}
