namespace Coliseum.Processing.Coliseum;

/// <summary>One row of <c>coliseum_metrics</c>: a metric's value from one event, with the entities it concerns.</summary>
internal sealed class Contribution
{
    public required long Position { get; init; }
    public required int Seq { get; init; }
    public required string Metric { get; init; }
    public required long Value { get; init; }
    public string Currency { get; init; } = "";
    public string? User { get; init; }
    public string? Artist { get; init; }
    public string? Track { get; init; }
    public string? Event { get; init; }
    public string? City { get; init; }
    public string? Playlist { get; init; }
    public string? EntityType { get; init; }
    public string? EntityId { get; init; }
    public string? Metadata { get; init; }
    public required long Timestamp { get; init; }
    public required long ReceivedAt { get; init; }

    public string? Dimension(string entity) => entity switch
    {
        "user" => User,
        "artist" => Artist,
        "track" => Track,
        "event" => Event,
        "city" => City,
        "playlist" => Playlist,
        _ => null,
    };
}
