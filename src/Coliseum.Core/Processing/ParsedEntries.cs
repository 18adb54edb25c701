using System.Text.Json;
using Coliseum.Storage;

namespace Coliseum.Processing;

/// <summary>A batch's metadata parsed once, for a consumer's passes over it; disposing returns the pooled buffers.</summary>
public sealed class ParsedEntries : IDisposable
{
    private readonly JsonDocument[] _documents;

    private ParsedEntries(JsonDocument[] documents) => _documents = documents;

    /// <summary>Parses every entry's metadata; throws (having released what it parsed) when one is not a JSON object.</summary>
    public static ParsedEntries Parse(IReadOnlyList<PassportEntry> entries)
    {
        var documents = new JsonDocument[entries.Count];
        var parsed = new ParsedEntries(documents);
        try
        {
            for (var i = 0; i < entries.Count; i++)
            {
                documents[i] = JsonDocument.Parse(entries[i].Record.Metadata);
                EventFields.Parse(documents[i]);
            }
            return parsed;
        }
        catch
        {
            parsed.Dispose();
            throw;
        }
    }

    public EventFields Fields(int index) => new(_documents[index].RootElement);

    public void Dispose()
    {
        foreach (var document in _documents)
        {
            document?.Dispose();
        }
    }
}
