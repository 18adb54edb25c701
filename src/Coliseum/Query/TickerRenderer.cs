using System.Buffers;
using System.Text;
using System.Text.Json;
using Coliseum.Processing;
using Coliseum.Storage;

namespace Coliseum.Query;

/// <summary>
/// The ticker's entries: what happened and to which artist, event, track, playlist or city, with display
/// names from the entity directory (looked up once per batch). Nothing about the person: no user or
/// anonymous id, no amounts, traits, context or other fields.
/// </summary>
internal sealed class TickerRenderer(IProcessorStore store) : IEntryRenderer
{
    private static readonly (string Field, string Type)[] Dimensions =
        [("artistId", "artist"), ("eventId", "event"), ("trackId", "track"), ("playlistId", "playlist"), ("city", "city")];

    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Dictionary<long, List<(string Type, string Id)>> _entities = [];
    private readonly Dictionary<(string Type, string Id), string> _names = [];

    public async Task PrepareAsync(IReadOnlyList<PassportEntry> entries, CancellationToken cancellationToken)
    {
        _entities.Clear();
        _names.Clear();
        var wanted = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var found = new List<(string Type, string Id)>();
            using (var metadata = JsonDocument.Parse(entry.Record.Metadata))
            {
                foreach (var (field, type) in Dimensions)
                {
                    if (metadata.RootElement.ValueKind == JsonValueKind.Object && metadata.RootElement.TryGetProperty(field, out var value)
                        && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 and <= QueryParams.MaxIdLength } id)
                    {
                        found.Add((type, id));
                    }
                }
            }
            if (entry.Record.EntityType is { } entityType && entry.Record.EntityId is { } entityId && entityType != "user"
                && Metric.Entities.Contains(entityType) && !found.Contains((entityType, entityId)))
            {
                found.Add((entityType, entityId));
            }
            foreach (var (type, id) in found.Where(f => f.Type != "city"))
            {
                if (!wanted.TryGetValue(type, out var ids))
                {
                    wanted[type] = ids = new HashSet<string>(StringComparer.Ordinal);
                }
                ids.Add(id);
            }
            _entities[entry.Position] = found;
        }
        if (wanted.Count == 0)
        {
            return;
        }
        await using var connection = await store.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (type, ids) in wanted)
        {
            foreach (var chunk in ids.Chunk(400))
            {
                var parameters = chunk.Select((id, i) => ($"@i{i}", (object?)id)).Append(("@t", type)).ToArray();
                await using var command = Db.Command(connection, null,
                    $"SELECT entity_id, name FROM coliseum_entities WHERE entity_type = @t AND entity_id IN ({string.Join(", ", chunk.Select((_, i) => $"@i{i}"))})", parameters);
                await using var rows = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    _names[(type, rows.GetString(0))] = rows.GetString(1);
                }
            }
        }
    }

    public string Render(PassportEntry entry)
    {
        var r = entry.Record;
        _buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("position", entry.Position);
            json.WriteString("type", r.EventType);
            json.WriteString("category", r.EventCategory);
            json.WriteString("occurredAt", Instant.Of(r.OccurredAt));
            json.WriteStartArray("entities");
            foreach (var (type, id) in _entities.GetValueOrDefault(entry.Position) ?? [])
            {
                json.WriteStartObject();
                json.WriteString("type", type);
                json.WriteString("id", id);
                json.WriteString("name", _names.GetValueOrDefault((type, id), id));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(_buffer.WrittenSpan);
    }
}
