using System.Data.Common;
using System.Globalization;

namespace Coliseum.Processing.Mediaid;

/// <summary>
/// One batch of the mediaid consumer. Profiles (small, and rewritten whole) are loaded for every key the
/// batch may touch and changed in memory; event counts and DNA are kept as deltas per key and added in
/// SQL. Identity links made in the batch are applied in memory at once (later events of the anonymous id
/// go to the user), and at write time every delta of a merged anonymous profile goes to its user, whose
/// committed rows absorb the anonymous ones first.
/// </summary>
internal sealed class MediaidBatch : ConsumerBatch
{
    private const int ChunkSize = 400;

    private readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string User, long LinkedAt, long Position)> _newLinks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MediaidProfile> _profiles = new(StringComparer.Ordinal);
    private readonly HashSet<string> _stored = new(StringComparer.Ordinal);
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _mergedInto = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Key, string Type), long> _eventCounts = [];
    private readonly Dictionary<(string Key, string Kind, string Item), (long Score, long Events)> _dna = [];
    private readonly List<(long Position, string Key, string Influence)> _influence = [];
    private readonly Dictionary<string, (SortedSet<string> Genres, long Position)> _genres = new(StringComparer.Ordinal);
    private readonly HashSet<string> _changedGenres = new(StringComparer.Ordinal);
    private readonly List<(string User, long Position)> _userEntries = [];

    /// <summary>Notes that the entry at <paramref name="position"/> is <paramref name="user"/>'s (for <c>GET /api/passport/me</c>).</summary>
    public void UserEntry(string user, long position) => _userEntries.Add((user, position));

    /// <summary>Loads the links of the batch's anonymous ids, the profiles it may touch, and the genres of its artists.</summary>
    public async Task LoadAsync(DbConnection reader, IReadOnlyCollection<string> users, IReadOnlyCollection<string> anonymousIds, IReadOnlyCollection<string> artists, CancellationToken cancellationToken)
    {
        await SelectInAsync(reader, "SELECT anonymous_id, user_id FROM mediaid_identity_links WHERE anonymous_id IN", anonymousIds,
            row => _links[row.GetString(0)] = row.GetString(1), cancellationToken).ConfigureAwait(false);

        var keys = new HashSet<string>(users, StringComparer.Ordinal);
        foreach (var anonymousId in anonymousIds)
        {
            keys.Add(MediaidConsumer.AnonymousKey(anonymousId));
        }
        keys.UnionWith(_links.Values);
        await SelectInAsync(reader, $"SELECT {MediaidProfile.Columns} FROM mediaid_profiles WHERE user_id IN", keys, row =>
        {
            var profile = MediaidProfile.Read(row);
            _profiles[profile.Key] = profile;
            _stored.Add(profile.Key);
        }, cancellationToken).ConfigureAwait(false);

        await SelectInAsync(reader, "SELECT artist_id, genre, position FROM mediaid_artist_genres WHERE artist_id IN", artists, row =>
        {
            var artist = row.GetString(0);
            if (!_genres.TryGetValue(artist, out var known))
            {
                _genres[artist] = known = (new SortedSet<string>(StringComparer.Ordinal), row.GetInt64(2));
            }
            known.Genres.Add(row.GetString(1));
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task SelectInAsync(DbConnection reader, string sql, IReadOnlyCollection<string> values, Action<DbDataReader> onRow, CancellationToken cancellationToken)
    {
        foreach (var chunk in values.Chunk(ChunkSize))
        {
            var parameters = chunk.Select((value, i) => ("@k" + i.ToString(CultureInfo.InvariantCulture), (object?)value)).ToArray();
            await using var command = Db.Command(reader, null, $"{sql} ({string.Join(", ", parameters.Select(p => p.Item1))})", parameters);
            await using var rows = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                onRow(rows);
            }
        }
    }

    /// <summary>The user an anonymous id is linked to (committed, or earlier in this batch).</summary>
    public string? LinkedUser(string anonymousId) => _links.GetValueOrDefault(anonymousId);

    /// <summary>The profile of a key, created when it has none.</summary>
    public MediaidProfile Profile(string key)
    {
        if (!_profiles.TryGetValue(key, out var profile))
        {
            _profiles[key] = profile = new MediaidProfile(key);
        }
        _changed.Add(key);
        return profile;
    }

    /// <summary>
    /// Links an anonymous id to a user unless it is linked already (the first link wins), and merges the
    /// anonymous profile, if any, into the user's.
    /// </summary>
    public void Link(string anonymousId, string user, long linkedAt, long position)
    {
        if (_links.ContainsKey(anonymousId))
        {
            return;
        }
        _links[anonymousId] = user;
        _newLinks[anonymousId] = (user, linkedAt, position);
        var anonymousKey = MediaidConsumer.AnonymousKey(anonymousId);
        if (_profiles.Remove(anonymousKey, out var anonymous))
        {
            Profile(user).MergeFrom(anonymous);
            _changed.Remove(anonymousKey);
            _mergedInto[anonymousKey] = user;
        }
    }

    public void CountEvent(string key, string eventType) => _eventCounts[(key, eventType)] = _eventCounts.GetValueOrDefault((key, eventType)) + 1;

    /// <summary>The genres of an artist as the log has stated them so far.</summary>
    public IReadOnlyCollection<string> GenresOf(string artist) => _genres.TryGetValue(artist, out var known) ? known.Genres : [];

    /// <summary>Replaces an artist's genres, unless a later entry already set them (a dead letter retried late).</summary>
    public void SetGenres(string artist, SortedSet<string> genres, long position)
    {
        if (_genres.TryGetValue(artist, out var known) && known.Position > position)
        {
            return;
        }
        _genres[artist] = (genres, position);
        _changedGenres.Add(artist);
    }

    /// <summary>Adds one event's taste weight to the artist and each of its genres; records the event's influence.</summary>
    public void Taste(string key, string artist, long weight, long position)
    {
        var genres = GenresOf(artist);
        AddDna(key, "artist", artist, weight);
        foreach (var genre in genres)
        {
            AddDna(key, "genre", genre, weight);
        }
        var influence = MediaidProfile.Json(writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("artist:" + artist, weight);
            foreach (var genre in genres)
            {
                writer.WriteNumber("genre:" + genre, weight);
            }
            writer.WriteEndObject();
        });
        _influence.Add((position, key, influence));
    }

    private void AddDna(string key, string kind, string item, long weight)
    {
        var (score, events) = _dna.GetValueOrDefault((key, kind, item));
        _dna[(key, kind, item)] = (score + weight, events + 1);
    }

    /// <summary>Where a delta recorded under <paramref name="key"/> belongs now (its user, if the anonymous profile was merged).</summary>
    private string Final(string key) => _mergedInto.GetValueOrDefault(key, key);

    public override async Task<long> WriteAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        long bytes = 0;
        var userEntries = new BulkStatement("mediaid_user_entries", ["user_id", "position"], "ON CONFLICT (user_id, position) DO NOTHING");
        foreach (var (user, position) in _userEntries)
        {
            userEntries.Add(user, position);
        }
        await userEntries.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        bytes += _userEntries.Count * 40L;

        // 1. Anonymous profiles merged in this batch: their committed rows move to the user.
        foreach (var (anonymousKey, user) in _mergedInto)
        {
            await MergeStoredAsync(connection, transaction, anonymousKey, user, cancellationToken).ConfigureAwait(false);
            bytes += 400;
        }

        // 2. Profiles, rewritten whole.
        var profiles = new BulkStatement("mediaid_profiles", MediaidProfile.Columns.Split(", "), """
            ON CONFLICT (user_id) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen, event_count = excluded.event_count,
                traits = excluded.traits, consent = excluded.consent, preferences = excluded.preferences, signed_up_at = excluded.signed_up_at,
                last_login_at = excluded.last_login_at, field_positions = excluded.field_positions, updated_position = excluded.updated_position
            """);
        foreach (var key in _changed)
        {
            var row = _profiles[key].Row();
            profiles.Add(row);
            bytes += 150 + ((string)row[4]!).Length + ((string)row[5]!).Length + ((string)row[6]!).Length + ((string)row[9]!).Length;
        }
        await profiles.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);

        // 3. Event counts and DNA: deltas, each final key once.
        var counts = new Dictionary<(string Key, string Type), long>();
        foreach (var ((key, type), count) in _eventCounts)
        {
            var final = (Final(key), type);
            counts[final] = counts.GetValueOrDefault(final) + count;
        }
        var events = new BulkStatement("mediaid_profile_events", ["user_id", "event_type", "count"],
            "ON CONFLICT (user_id, event_type) DO UPDATE SET count = mediaid_profile_events.count + excluded.count");
        foreach (var ((key, type), count) in counts)
        {
            events.Add(key, type, count);
        }
        await events.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        bytes += counts.Count * 60L;

        var dna = new Dictionary<(string Key, string Kind, string Item), (long Score, long Events)>();
        foreach (var ((key, kind, item), (score, count)) in _dna)
        {
            var final = (Final(key), kind, item);
            var (s, e) = dna.GetValueOrDefault(final);
            dna[final] = (s + score, e + count);
        }
        var dnaRows = new BulkStatement("mediaid_dna", ["user_id", "kind", "key", "score", "events"],
            "ON CONFLICT (user_id, kind, key) DO UPDATE SET score = mediaid_dna.score + excluded.score, events = mediaid_dna.events + excluded.events");
        foreach (var ((key, kind, item), (score, count)) in dna)
        {
            dnaRows.Add(key, kind, item, score, count);
        }
        await dnaRows.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        bytes += dna.Count * 60L;

        var influence = new BulkStatement("mediaid_dna_influence", ["position", "user_id", "influence"],
            "ON CONFLICT (position) DO UPDATE SET user_id = excluded.user_id, influence = excluded.influence");
        foreach (var (position, key, text) in _influence)
        {
            influence.Add(position, Final(key), text);
            bytes += 40 + text.Length;
        }
        await influence.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);

        // 4. Links and artist genres.
        var links = new BulkStatement("mediaid_identity_links", ["anonymous_id", "user_id", "linked_at", "position"], "ON CONFLICT (anonymous_id) DO NOTHING");
        foreach (var (anonymousId, (user, linkedAt, position)) in _newLinks)
        {
            links.Add(anonymousId, user, linkedAt, position);
        }
        await links.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        bytes += _newLinks.Count * 80L;

        if (_changedGenres.Count > 0)
        {
            await using var clear = Db.Command(connection, transaction, "DELETE FROM mediaid_artist_genres WHERE artist_id = @a", ("@a", null));
            var genres = new BulkStatement("mediaid_artist_genres", ["artist_id", "genre", "position"]);
            foreach (var artist in _changedGenres)
            {
                clear.Parameters[0].Value = artist;
                await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                var (set, position) = _genres[artist];
                foreach (var genre in set)
                {
                    genres.Add(artist, genre, position);
                }
                bytes += 40 + set.Count * 40L;
            }
            await genres.FlushAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        }
        return bytes;
    }

    /// <summary>Adds an anonymous profile's committed event counts and DNA to the user's, re-owns its influence rows, and deletes it.</summary>
    private static async Task MergeStoredAsync(DbConnection connection, DbTransaction transaction, string anonymousKey, string user, CancellationToken cancellationToken)
    {
        (string Sql, bool ToUser)[] statements =
        [
            ("""
            INSERT INTO mediaid_profile_events (user_id, event_type, count)
            SELECT @user, event_type, count FROM mediaid_profile_events WHERE user_id = @anon
            ON CONFLICT (user_id, event_type) DO UPDATE SET count = mediaid_profile_events.count + excluded.count
            """, true),
            ("DELETE FROM mediaid_profile_events WHERE user_id = @anon", false),
            ("""
            INSERT INTO mediaid_dna (user_id, kind, key, score, events)
            SELECT @user, kind, key, score, events FROM mediaid_dna WHERE user_id = @anon
            ON CONFLICT (user_id, kind, key) DO UPDATE SET score = mediaid_dna.score + excluded.score, events = mediaid_dna.events + excluded.events
            """, true),
            ("DELETE FROM mediaid_dna WHERE user_id = @anon", false),
            ("UPDATE mediaid_dna_influence SET user_id = @user WHERE user_id = @anon", true),
            ("DELETE FROM mediaid_profiles WHERE user_id = @anon", false),
        ];
        foreach (var (sql, toUser) in statements)
        {
            var parameters = toUser ? new[] { ("@user", (object?)user), ("@anon", (object?)anonymousKey) } : [("@anon", anonymousKey)];
            await Db.ExecuteAsync(connection, transaction, sql, cancellationToken, parameters).ConfigureAwait(false);
        }
    }
}
