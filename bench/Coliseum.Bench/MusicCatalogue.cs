namespace Coliseum.Bench;

/// <summary>Draws 0..n-1 with probability proportional to 1/(k+1)^s (a few hits, a long tail).</summary>
internal sealed class Zipf
{
    private readonly double[] _cdf;

    public Zipf(int n, double s)
    {
        _cdf = new double[n];
        double total = 0;
        for (var k = 0; k < n; k++)
        {
            total += 1 / Math.Pow(k + 1, s);
            _cdf[k] = total;
        }
        for (var k = 0; k < n; k++)
        {
            _cdf[k] /= total;
        }
    }

    public int Next(Random random)
    {
        var i = Array.BinarySearch(_cdf, random.NextDouble());
        return Math.Min(i >= 0 ? i : ~i, _cdf.Length - 1);
    }
}

/// <summary>A live event: its city, start and the artists who play it (the first is the headliner).</summary>
internal sealed record LiveEvent(string Id, string Name, string City, string Currency, long StartsAt, int[] Artists, int PriceCents);

/// <summary>
/// The platform's world, made deterministically from a seed: artists and users with Zipf popularity,
/// tracks owned by artists (popular artists have more of them), live events in cities with 1–4 artists.
/// </summary>
internal sealed class MusicCatalogue
{
    public static readonly string[] Cities =
    [
        "Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Lisboa", "Porto", "Paris", "Lyon", "Berlin",
        "Hamburg", "Amsterdam", "Milano", "Roma", "Dublin",
        "Ciudad de México", "Guadalajara", "Monterrey", "Bogotá", "Medellín", "Lima", "Santiago", "Buenos Aires",
        "Córdoba", "São Paulo", "Rio de Janeiro", "Miami", "Los Angeles", "New York", "Chicago", "Houston",
        "Austin", "San Juan", "Quito", "Caracas", "Montevideo", "Asunción", "La Paz", "Panamá", "San José",
    ];

    /// <summary>Cities before this index are in the euro zone (their events sell in eur).</summary>
    private const int EuroCities = 15;

    public static readonly string[] Genres = ["reggaeton", "latin pop", "rock en español", "cumbia", "salsa", "bachata", "indie", "electronic", "hip hop", "flamenco", "regional mexicano", "jazz"];

    private static readonly string[] NameStart = ["Los", "La", "El", "Las", "Grupo", "DJ", "Banda", "Orquesta", "MC", "Trío"];
    private static readonly string[] NameEnd = ["Tigres", "Luna", "Sol", "Caminantes", "Fuego", "Mar", "Viento", "Sombras", "Estrellas", "Ríos", "Lobos", "Alas", "Nubes", "Piedras", "Olas", "Cometas"];

    private readonly Zipf _artistPick;
    private readonly Zipf _userPick;
    private readonly Zipf _eventPick;
    private readonly int[][] _artistTracks;

    public MusicCatalogue(int seed, long startMs, long spanMs, int artists = 2_000, int tracks = 20_000, int users = 100_000, int liveEvents = 500)
    {
        var random = new Random(seed);
        Artists = artists;
        Users = users;
        _artistPick = new Zipf(artists, 1.0);
        _userPick = new Zipf(users, 0.8);
        _eventPick = new Zipf(liveEvents, 0.9);

        // Every artist has a track; the rest go to artists in proportion to their popularity.
        TrackArtist = new int[tracks];
        var owned = new List<int>[artists];
        for (var a = 0; a < artists; a++)
        {
            owned[a] = [];
        }
        for (var t = 0; t < tracks; t++)
        {
            TrackArtist[t] = t < artists ? t : _artistPick.Next(random);
            owned[TrackArtist[t]].Add(t);
        }
        _artistTracks = owned.Select(l => l.ToArray()).ToArray();

        var cityPick = new Zipf(Cities.Length, 0.8);
        Events = new LiveEvent[liveEvents];
        for (var e = 0; e < liveEvents; e++)
        {
            var performers = new HashSet<int> { _artistPick.Next(random) };
            var count = random.Next(1, 5);
            while (performers.Count < count)
            {
                performers.Add(random.Next(artists));
            }
            var city = cityPick.Next(random);
            var lineup = performers.ToArray();
            Events[e] = new LiveEvent($"live-{e}", $"{ArtistName(lineup[0])} en {Cities[city]}", Cities[city], city < EuroCities ? "eur" : "usd",
                startMs + (long)(random.NextDouble() * spanMs), lineup, random.Next(20, 150) * 100);
        }
    }

    public int Artists { get; }

    public int Users { get; }

    public int[] TrackArtist { get; }

    public LiveEvent[] Events { get; }

    public static string ArtistId(int artist) => $"artist-{artist}";

    public static string TrackId(int track) => $"track-{track}";

    public static string UserId(int user) => $"user-{user}";

    public static string ArtistName(int artist) => $"{NameStart[artist % NameStart.Length]} {NameEnd[artist / NameStart.Length % NameEnd.Length]} {artist / (NameStart.Length * NameEnd.Length) + 1}";

    public int Artist(Random random) => _artistPick.Next(random);

    public int User(Random random) => _userPick.Next(random);

    public LiveEvent Event(Random random) => Events[_eventPick.Next(random)];

    /// <summary>A popular artist's track, skewed toward the artist's first (biggest) tracks.</summary>
    public int Track(Random random)
    {
        var tracks = _artistTracks[Artist(random)];
        return tracks[(int)(tracks.Length * Math.Pow(random.NextDouble(), 2.5))];
    }
}
