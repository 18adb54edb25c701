using System.Data.Common;
using System.Text.Json;
using Coliseum.Storage;

namespace Coliseum.Processing.Mediaid;

/// <summary>
/// The <c>mediaid</c> consumer: a profile per user (<c>mediaid_profiles</c>: first and last seen, event
/// counts, traits, consent, preferences, sign-up and last login), events per type, identity links, and
/// the taste "DNA" (artist and genre affinities, with each event's influence).
/// </summary>
/// <remarks>
/// <para>
/// Profile keys: an event with a <c>userId</c> belongs to that user. An event with only an
/// <c>anonymousId</c> belongs to the user that id is linked to, or else to the profile
/// <c>anon:&lt;anonymousId&gt;</c> (see <see cref="AnonymousKey"/>). A <c>userId</c> that itself starts with
/// <c>anon:</c> would collide with that convention and is refused (the entry is dead-lettered).
/// </para>
/// <para>
/// Identity: <c>passport.logged_in</c>, <c>passport.identified</c> or <c>passport.signed_up</c> carrying
/// both ids links the anonymous id to the user, unless it is linked already (the first link wins). The
/// link merges the <c>anon:</c> profile into the user's (event counts, first/last seen, traits, consent
/// and preferences by log position, DNA, influence rows) and deletes it; from then on anonymous-only
/// events of that id go to the user.
/// </para>
/// <para>
/// Times are the events' <c>occurred_at</c>, never the wall clock, so a replay gives identical tables.
/// </para>
/// </remarks>
public sealed class MediaidConsumer : Consumer
{
    public const string ConsumerName = "mediaid";

    /// <summary>The prefix of an anonymous (not yet linked) profile's key.</summary>
    public const string AnonymousPrefix = "anon:";

    /// <summary>Taste points per event type (the artist and each of its genres get the full weight).</summary>
    public static IReadOnlyDictionary<string, long> TasteWeights { get; } = new Dictionary<string, long>(StringComparer.Ordinal)
    {
        ["player.track_played"] = 1,
        ["player.track_completed"] = 2,
        ["player.track_skipped"] = -1,
        ["player.track_liked"] = 3,
        ["player.track_unliked"] = -3,
        ["social.artist_followed"] = 5,
        ["social.artist_unfollowed"] = -5,
    };

    private const string LoggedIn = "passport.logged_in";
    private const string Identified = "passport.identified";
    private const string SignedUp = "passport.signed_up";
    private const string ConsentUpdated = "passport.consent_updated";
    private const string PreferencesUpdated = "mediaid.preferences_updated";
    private const string ArtistProfileUpdated = "mediaid.artist_profile_updated";

    private static readonly string[] PreferenceFields = ["genres", "languages", "cities"];

    public MediaidConsumer(ProcessingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
    }

    public override string Name => ConsumerName;

    public override IReadOnlyList<string> ResetStatements { get; } =
    [
        "DELETE FROM mediaid_profiles",
        "DELETE FROM mediaid_profile_events",
        "DELETE FROM mediaid_identity_links",
        "DELETE FROM mediaid_artist_genres",
        "DELETE FROM mediaid_dna",
        "DELETE FROM mediaid_dna_influence",
        "DELETE FROM mediaid_user_entries",
    ];

    /// <summary>The profile key of an anonymous id that is not linked to a user.</summary>
    public static string AnonymousKey(string anonymousId) => AnonymousPrefix + anonymousId;

    public override async Task<ConsumerBatch> PrepareAsync(IReadOnlyList<PassportEntry> entries, DbConnection reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        using var parsed = ParsedEntries.Parse(entries);
        var users = new HashSet<string>(StringComparer.Ordinal);
        var anonymousIds = new HashSet<string>(StringComparer.Ordinal);
        var artists = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            var record = entries[i].Record;
            var fields = parsed.Fields(i);
            if (record.UserId is { } user)
            {
                users.Add(user);
            }
            if (record.AnonymousId is { } anonymousId)
            {
                anonymousIds.Add(anonymousId);
            }
            if ((record.EventType == ArtistProfileUpdated || TasteWeights.ContainsKey(record.EventType)) && fields.String("artistId") is { } artist)
            {
                artists.Add(artist);
            }
        }
        var batch = new MediaidBatch();
        await batch.LoadAsync(reader, users, anonymousIds, artists, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < entries.Count; i++)
        {
            if (Privacy.ErasedEntry.Is(entries[i].Record))
            {
                continue;
            }
            Apply(entries[i], parsed.Fields(i), batch);
            if (entries[i].Record.UserId is { } owner)
            {
                batch.UserEntry(owner, entries[i].Position);
            }
        }
        return batch;
    }

    /// <summary>Applies one event. Reads and checks everything first, so an event that throws leaves the batch untouched.</summary>
    private static void Apply(PassportEntry entry, EventFields f, MediaidBatch batch)
    {
        var r = entry.Record;
        var position = entry.Position;
        var at = r.OccurredAt;

        if (r.UserId is { } userId && userId.StartsWith(AnonymousPrefix, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"userId '{userId}' starts with '{AnonymousPrefix}', which names anonymous profiles");
        }
        var key = r.UserId
            ?? (r.AnonymousId is { } anonymousId ? batch.LinkedUser(anonymousId) ?? AnonymousKey(anonymousId) : null)
            ?? throw new InvalidDataException("the entry has neither userId nor anonymousId");

        List<(string Name, string Json)>? traits = null;
        (string Scope, bool Granted)? consent = null;
        List<(string Field, string[] Values)>? preferences = null;
        (string Artist, SortedSet<string>? Genres)? artistProfile = null;
        (string Artist, long Weight)? taste = null;
        switch (r.EventType)
        {
            case Identified:
                traits = [];
                foreach (var trait in (f.Object("traits") ?? throw new InvalidDataException("metadata has no traits")).EnumerateObject())
                {
                    traits.Add((trait.Name, MediaidProfile.Compact(trait.Value)));
                }
                break;
            case ConsentUpdated:
                consent = (f.RequiredString("scope"), f.Bool("granted") ?? throw new InvalidDataException("metadata has no granted"));
                break;
            case PreferencesUpdated:
                preferences = [];
                foreach (var field in PreferenceFields)
                {
                    if (f.Root.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null)
                    {
                        preferences.Add((field, [.. f.Strings(field)]));
                    }
                }
                break;
            case ArtistProfileUpdated:
            {
                var artist = f.RequiredString("artistId");
                var stated = f.Root.TryGetProperty("genres", out var value) && value.ValueKind != JsonValueKind.Null
                    ? new SortedSet<string>(f.Strings("genres").Where(g => g.Length > 0), StringComparer.Ordinal)
                    : null;
                artistProfile = (artist, stated);
                break;
            }
            default:
                if (TasteWeights.TryGetValue(r.EventType, out var weight))
                {
                    taste = (f.RequiredString("artistId"), weight);
                }
                break;
        }

        // Everything is read: now change the batch.
        if ((r.EventType is LoggedIn or Identified or SignedUp) && r.UserId is { } linkUser && r.AnonymousId is { } linkAnonymous)
        {
            batch.Link(linkAnonymous, linkUser, at, position);
        }
        var profile = batch.Profile(key);
        profile.Touch(position, at);
        batch.CountEvent(key, r.EventType);
        switch (r.EventType)
        {
            case LoggedIn:
                profile.LoggedIn(at);
                break;
            case SignedUp:
                profile.SignedUp(at);
                break;
        }
        foreach (var (name, json) in traits ?? [])
        {
            profile.SetTrait(name, json, position);
        }
        if (consent is { } c)
        {
            profile.SetConsent(c.Scope, c.Granted, at, position);
        }
        foreach (var (field, values) in preferences ?? [])
        {
            profile.SetPreference(field, values, position);
        }
        if (artistProfile is { Genres: { } genres } update)
        {
            batch.SetGenres(update.Artist, genres, position);
        }
        if (taste is { } t)
        {
            batch.Taste(key, t.Artist, t.Weight, position);
        }
    }
}
