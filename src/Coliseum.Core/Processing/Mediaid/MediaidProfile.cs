using System.Buffers;
using System.Data.Common;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Coliseum.Processing.Mediaid;

/// <summary>
/// One row of <c>mediaid_profiles</c> in memory. Every keyed value (a trait, a consent scope, a
/// preference field) remembers the log position that set it, so that applying an event and merging an
/// anonymous profile both keep the value set later in the log, whatever the batch boundaries.
/// </summary>
internal sealed class MediaidProfile(string key)
{
    internal const string Columns = "user_id, first_seen, last_seen, event_count, traits, consent, preferences, signed_up_at, last_login_at, field_positions, updated_position";

    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string Key { get; } = key;

    public long FirstSeen { get; private set; } = long.MaxValue;

    public long LastSeen { get; private set; } = long.MinValue;

    public long EventCount { get; private set; }

    public long? SignedUpAt { get; private set; }

    public long? LastLoginAt { get; private set; }

    public long UpdatedPosition { get; private set; }

    /// <summary>Trait name → (compact JSON value, position).</summary>
    public SortedDictionary<string, Trait> Traits { get; } = new(StringComparer.Ordinal);

    /// <summary>Scope → (granted, event time, position).</summary>
    public SortedDictionary<string, ConsentEntry> Consent { get; } = new(StringComparer.Ordinal);

    /// <summary>Preference field (genres, languages, cities) → (values, position).</summary>
    public SortedDictionary<string, Preference> Preferences { get; } = new(StringComparer.Ordinal);

    /// <summary>Counts one event of this profile.</summary>
    public void Touch(long position, long occurredAt)
    {
        EventCount++;
        FirstSeen = Math.Min(FirstSeen, occurredAt);
        LastSeen = Math.Max(LastSeen, occurredAt);
        UpdatedPosition = Math.Max(UpdatedPosition, position);
    }

    public void SignedUp(long occurredAt) => SignedUpAt = SignedUpAt is { } at ? Math.Min(at, occurredAt) : occurredAt;

    public void LoggedIn(long occurredAt) => LastLoginAt = LastLoginAt is { } at ? Math.Max(at, occurredAt) : occurredAt;

    public void SetTrait(string name, string json, long position) => SetLater(Traits, name, new Trait(json, position));

    public void SetConsent(string scope, bool granted, long at, long position) => SetLater(Consent, scope, new ConsentEntry(granted, at, position));

    public void SetPreference(string field, string[] values, long position) => SetLater(Preferences, field, new Preference(values, position));

    /// <summary>Takes in an anonymous profile's history (it is deleted afterwards).</summary>
    public void MergeFrom(MediaidProfile other)
    {
        EventCount += other.EventCount;
        FirstSeen = Math.Min(FirstSeen, other.FirstSeen);
        LastSeen = Math.Max(LastSeen, other.LastSeen);
        UpdatedPosition = Math.Max(UpdatedPosition, other.UpdatedPosition);
        if (other.SignedUpAt is { } signedUp)
        {
            SignedUp(signedUp);
        }
        if (other.LastLoginAt is { } login)
        {
            LoggedIn(login);
        }
        foreach (var (name, value) in other.Traits)
        {
            SetLater(Traits, name, value);
        }
        foreach (var (scope, value) in other.Consent)
        {
            SetLater(Consent, scope, value);
        }
        foreach (var (field, value) in other.Preferences)
        {
            SetLater(Preferences, field, value);
        }
    }

    /// <summary>Sets a keyed value unless the one there was set later in the log.</summary>
    private static void SetLater<T>(SortedDictionary<string, T> map, string key, T value) where T : IPositioned
    {
        if (!map.TryGetValue(key, out var existing) || existing.Position <= value.Position)
        {
            map[key] = value;
        }
    }

    public string TraitsJson() => Json(writer =>
    {
        writer.WriteStartObject();
        foreach (var (name, (json, _)) in Traits)
        {
            writer.WritePropertyName(name);
            writer.WriteRawValue(json, skipInputValidation: true);
        }
        writer.WriteEndObject();
    });

    public string ConsentJson() => Json(writer =>
    {
        writer.WriteStartObject();
        foreach (var (scope, (granted, at, _)) in Consent)
        {
            writer.WriteStartObject(scope);
            writer.WriteBoolean("granted", granted);
            writer.WriteNumber("at", at);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    });

    public string PreferencesJson() => Json(writer =>
    {
        writer.WriteStartObject();
        foreach (var (field, (values, _)) in Preferences)
        {
            writer.WriteStartArray(field);
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    });

    public string PositionsJson() => Json(writer =>
    {
        writer.WriteStartObject();
        WritePositions(writer, "traits", Traits);
        WritePositions(writer, "consent", Consent);
        WritePositions(writer, "preferences", Preferences);
        writer.WriteEndObject();
    });

    private static void WritePositions<T>(Utf8JsonWriter writer, string name, SortedDictionary<string, T> map) where T : IPositioned
    {
        writer.WriteStartObject(name);
        foreach (var (key, value) in map)
        {
            writer.WriteNumber(key, value.Position);
        }
        writer.WriteEndObject();
    }

    /// <summary>The values of one row, in <see cref="Columns"/> order.</summary>
    public object?[] Row() =>
        [Key, FirstSeen, LastSeen, EventCount, TraitsJson(), ConsentJson(), PreferencesJson(), SignedUpAt, LastLoginAt, PositionsJson(), UpdatedPosition];

    /// <summary>Reads a row selected with <see cref="Columns"/>.</summary>
    public static MediaidProfile Read(DbDataReader reader)
    {
        var profile = new MediaidProfile(reader.GetString(0))
        {
            FirstSeen = reader.GetInt64(1),
            LastSeen = reader.GetInt64(2),
            EventCount = reader.GetInt64(3),
            SignedUpAt = Db.Int64(reader, 7),
            LastLoginAt = Db.Int64(reader, 8),
            UpdatedPosition = reader.GetInt64(10),
        };
        using var positionsDocument = JsonDocument.Parse(reader.GetString(9));
        var positions = positionsDocument.RootElement;
        using (var traits = JsonDocument.Parse(reader.GetString(4)))
        {
            foreach (var trait in traits.RootElement.EnumerateObject())
            {
                profile.Traits[trait.Name] = new Trait(Compact(trait.Value), PositionOf(positions, "traits", trait.Name));
            }
        }
        using (var consent = JsonDocument.Parse(reader.GetString(5)))
        {
            foreach (var scope in consent.RootElement.EnumerateObject())
            {
                profile.Consent[scope.Name] = new ConsentEntry(scope.Value.GetProperty("granted").GetBoolean(), scope.Value.GetProperty("at").GetInt64(), PositionOf(positions, "consent", scope.Name));
            }
        }
        using (var preferences = JsonDocument.Parse(reader.GetString(6)))
        {
            foreach (var field in preferences.RootElement.EnumerateObject())
            {
                profile.Preferences[field.Name] = new Preference([.. field.Value.EnumerateArray().Select(v => v.GetString()!)], PositionOf(positions, "preferences", field.Name));
            }
        }
        return profile;
    }

    private static long PositionOf(JsonElement positions, string section, string key) =>
        positions.TryGetProperty(section, out var map) && map.TryGetProperty(key, out var position) ? position.GetInt64() : 0;

    /// <summary>A JSON value as compact text.</summary>
    public static string Compact(JsonElement value) => Json(value.WriteTo);

    internal static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>A profile value that remembers the log position that set it.</summary>
internal interface IPositioned
{
    long Position { get; }
}

/// <summary>A trait's value as compact JSON.</summary>
internal readonly record struct Trait(string Json, long Position) : IPositioned;

internal readonly record struct ConsentEntry(bool Granted, long At, long Position) : IPositioned;

internal readonly record struct Preference(string[] Values, long Position) : IPositioned;
