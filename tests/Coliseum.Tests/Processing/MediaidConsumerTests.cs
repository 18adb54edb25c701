using System.Globalization;
using System.Text;
using Coliseum.Processing;
using Coliseum.Processing.Mediaid;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Processing;

public sealed class MediaidConsumerTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);

    private static readonly string[] Tables =
    [
        "SELECT * FROM mediaid_profiles ORDER BY user_id",
        "SELECT * FROM mediaid_profile_events ORDER BY user_id, event_type",
        "SELECT * FROM mediaid_identity_links ORDER BY anonymous_id",
        "SELECT * FROM mediaid_artist_genres ORDER BY artist_id, genre",
        "SELECT * FROM mediaid_dna ORDER BY user_id, kind, key",
        "SELECT * FROM mediaid_dna_influence ORDER BY position",
        "SELECT position, dna_influence FROM passport_entries ORDER BY position",
    ];

    [Fact]
    public async Task Profile_has_first_and_last_seen_from_event_time_and_counts_per_type()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(
            Play(minute: 30, user: "u1", artist: "a1"),
            Play(minute: 5, user: "u1", artist: "a2"),          // earlier than the first entry: first_seen is the event time, not log order
            Event("passport.page_viewed", 50, user: "u1", fields: "\"path\":\"/home\""),
            Play(minute: 20, user: "u2", artist: "a1"),
            Event("passport.session_ended", 45, user: "u1", fields: "\"durationSeconds\":12.5"));

        Assert.Equal(5, await harness.RunAsync(new MediaidConsumer(harness.Options)));

        Assert.Equal([$"u1|{Ms(5)}|{Ms(50)}|4|5", $"u2|{Ms(20)}|{Ms(20)}|1|4"],
            harness.Rows("SELECT user_id, first_seen, last_seen, event_count, updated_position FROM mediaid_profiles ORDER BY user_id"));
        Assert.Equal(["u1|passport.page_viewed|1", "u1|passport.session_ended|1", "u1|player.track_played|2", "u2|player.track_played|1"],
            harness.Rows("SELECT user_id, event_type, count FROM mediaid_profile_events ORDER BY 1, 2"));
        Assert.Equal(5, harness.Scalar("SELECT position FROM consumer_cursors WHERE name = 'mediaid'"));
    }

    [Fact]
    public async Task Traits_merge_with_later_keys_overwriting_earlier_ones()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(
            Event("passport.identified", 1, user: "u1", fields: """ "traits":{"name":"Ana","city":"Lima","plan":{"tier":"free"}} """),
            Event("passport.identified", 2, user: "u2", fields: """ "traits":{"name":"Bo"} """),
            Event("passport.identified", 3, user: "u1", fields: """ "traits":{"city":"São Paulo","plan":{"tier":"gold","since":2026},"vip":true} """));

        await harness.RunAsync(new MediaidConsumer(harness.Options));

        Assert.Equal(["""u1|{"city":"São Paulo","name":"Ana","plan":{"tier":"gold","since":2026},"vip":true}""", """u2|{"name":"Bo"}"""],
            harness.Rows("SELECT user_id, traits FROM mediaid_profiles ORDER BY user_id"));
    }

    [Fact]
    public async Task Consent_keeps_each_scopes_latest_answer_with_its_time()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(
            Event("passport.consent_updated", 1, user: "u1", fields: "\"scope\":\"marketing\",\"granted\":true"),
            Event("passport.consent_updated", 2, user: "u1", fields: "\"scope\":\"analytics\",\"granted\":false"),
            Event("passport.consent_updated", 3, user: "u1", fields: "\"scope\":\"marketing\",\"granted\":false"),
            Play(minute: 4, user: "u2", artist: "a1"));

        await harness.RunAsync(new MediaidConsumer(harness.Options));

        Assert.Equal(["u1|" + $$$"""{"analytics":{"granted":false,"at":{{{Ms(2)}}}},"marketing":{"granted":false,"at":{{{Ms(3)}}}}}""", "u2|{}"],
            harness.Rows("SELECT user_id, consent FROM mediaid_profiles ORDER BY user_id"));
    }

    [Fact]
    public async Task Preferences_sign_up_and_last_login_are_kept()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(
            Event("passport.signed_up", 1, user: "u1", fields: "\"method\":\"email\""),
            Event("mediaid.preferences_updated", 2, user: "u1", fields: "\"genres\":[\"rock\",\"jazz\"],\"cities\":[\"Lima\"]"),
            Event("passport.logged_in", 9, user: "u1", fields: "\"method\":\"email\""),
            Event("passport.logged_in", 4, user: "u1", fields: "\"method\":\"google\""),
            Event("mediaid.preferences_updated", 5, user: "u1", fields: "\"genres\":[\"cumbia\"],\"languages\":[\"es\"]"));

        await harness.RunAsync(new MediaidConsumer(harness.Options));

        Assert.Equal([$$"""{{Ms(1)}}|{{Ms(9)}}|{"cities":["Lima"],"genres":["cumbia"],"languages":["es"]}"""],
            harness.Rows("SELECT signed_up_at, last_login_at, preferences FROM mediaid_profiles WHERE user_id = 'u1'"));
    }

    [Fact]
    public async Task Anonymous_history_is_merged_into_the_user_when_the_link_arrives()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(
            Event("mediaid.artist_profile_updated", 0, user: "admin", fields: "\"artistId\":\"a1\",\"name\":\"A One\",\"genres\":[\"rock\"]"),
            Like(minute: 1, user: "u1", artist: "a1"),                                                        // 2: the user's own history
            Play(minute: 2, anon: "dev-1", artist: "a1"),                                                    // 3: anonymous
            Play(minute: 3, anon: "dev-1", artist: "a2"),                                                    // 4
            Event("passport.identified", 4, anon: "dev-1", fields: """ "traits":{"city":"Lima"} """),        // 5
            Event("passport.logged_in", 10, user: "u1", anon: "dev-1", fields: "\"method\":\"email\""),      // 6: the link
            Play(minute: 11, anon: "dev-1", artist: "a1"),                                                   // 7: anonymous-only, after the link
            Play(minute: 12, anon: "dev-2", artist: "a2"));                                                  // 8: another device, never linked

        await harness.RunAsync(new MediaidConsumer(harness.Options));

        Assert.Equal([$"dev-1|u1|{Ms(10)}|6"], harness.Rows("SELECT anonymous_id, user_id, linked_at, position FROM mediaid_identity_links"));
        Assert.Equal(["admin", "anon:dev-2", "u1"], harness.Rows("SELECT user_id FROM mediaid_profiles ORDER BY 1"));
        Assert.Equal([$$"""6|{{Ms(1)}}|{{Ms(11)}}|{"city":"Lima"}|{{Ms(10)}}|7"""],
            harness.Rows("SELECT event_count, first_seen, last_seen, traits, last_login_at, updated_position FROM mediaid_profiles WHERE user_id = 'u1'"));
        Assert.Equal(["u1|passport.identified|1", "u1|passport.logged_in|1", "u1|player.track_liked|1", "u1|player.track_played|3"],
            harness.Rows("SELECT user_id, event_type, count FROM mediaid_profile_events WHERE user_id LIKE 'u%' OR user_id = 'anon:dev-1' ORDER BY 1, 2"));
        // a1: liked +3, two plays +1 each; rock follows a1; a2: one play.
        Assert.Equal(["u1|artist|a1|5|3", "u1|artist|a2|1|1", "u1|genre|rock|5|3"],
            harness.Rows("SELECT user_id, kind, key, score, events FROM mediaid_dna WHERE user_id <> 'anon:dev-2' ORDER BY 1, 2, 3"));
        Assert.Equal(["2|u1", "3|u1", "4|u1", "7|u1", "8|anon:dev-2"], harness.Rows("SELECT position, user_id FROM mediaid_dna_influence ORDER BY position"));
        Assert.Equal(0, harness.Scalar("SELECT COUNT(*) FROM mediaid_profiles WHERE user_id = 'anon:dev-1'"));
        Assert.Equal(0, harness.Scalar("SELECT COUNT(*) FROM mediaid_dna WHERE user_id = 'anon:dev-1'"));
    }

    [Fact]
    public async Task The_first_link_wins_and_later_anonymous_events_follow_it()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(
            Play(minute: 1, anon: "dev-1", artist: "a1"),
            Event("passport.signed_up", 2, user: "u1", anon: "dev-1", fields: "\"method\":\"email\""),
            Event("passport.logged_in", 3, user: "u2", anon: "dev-1", fields: "\"method\":\"email\""),   // dev-1 is u1's already
            Play(minute: 4, anon: "dev-1", artist: "a1"),
            Play(minute: 5, user: "u3", anon: "dev-3", artist: "a1"),                                     // both ids, but not a linking type
            Play(minute: 6, anon: "dev-3", artist: "a1"));

        await harness.RunAsync(new MediaidConsumer(harness.Options), batchSize: 2);

        Assert.Equal(["dev-1|u1"], harness.Rows("SELECT anonymous_id, user_id FROM mediaid_identity_links"));
        Assert.Equal(["anon:dev-3|1|∅", $"u1|3|{Ms(2)}", "u2|1|∅", "u3|1|∅"], harness.Rows("SELECT user_id, event_count, signed_up_at FROM mediaid_profiles ORDER BY 1"));
        Assert.Equal(["anon:dev-3|1", "u1|2", "u3|1"], harness.Rows("SELECT user_id, score FROM mediaid_dna ORDER BY 1"));
    }

    [Fact]
    public async Task Dna_uses_the_genres_known_at_that_point_and_passport_entries_shows_each_influence()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync(
            Play(minute: 1, user: "u1", artist: "a1"),                                                                                    // 1: genres unknown yet
            Event("mediaid.artist_profile_updated", 2, user: "admin", fields: "\"artistId\":\"a1\",\"name\":\"A\",\"genres\":[\"rock\",\"indie\",\"rock\"]"), // 2
            Like(minute: 3, user: "u1", artist: "a1"),                                                                                    // 3
            Event("player.track_completed", 4, user: "u1", fields: "\"trackId\":\"t1\",\"artistId\":\"a1\",\"listenedSeconds\":200"),   // 4
            Event("mediaid.artist_profile_updated", 5, user: "admin", fields: "\"artistId\":\"a1\",\"name\":\"A\",\"genres\":[\"pop\"]"),   // 5
            Event("player.track_skipped", 6, user: "u1", fields: "\"trackId\":\"t1\",\"artistId\":\"a1\",\"positionSeconds\":3"),       // 6
            Event("social.artist_followed", 7, user: "u1", fields: "\"artistId\":\"a2\""),                                              // 7
            Event("social.artist_unfollowed", 8, user: "u1", fields: "\"artistId\":\"a2\""),                                            // 8
            Event("player.track_unliked", 9, user: "u1", fields: "\"trackId\":\"t1\",\"artistId\":\"a1\""),                              // 9
            Event("mediaid.artist_profile_updated", 10, user: "admin", fields: "\"artistId\":\"a3\",\"name\":\"C\""));                    // 10: no genres stated

        await harness.RunAsync(new MediaidConsumer(harness.Options));

        Assert.Equal("""{"artist:a1":1}""", harness.Rows("SELECT dna_influence FROM passport_entries WHERE position = 1").Single());
        Assert.Equal("∅", harness.Rows("SELECT dna_influence FROM passport_entries WHERE position = 2").Single());
        Assert.Equal("""{"artist:a1":3,"genre:indie":3,"genre:rock":3}""", harness.Rows("SELECT dna_influence FROM passport_entries WHERE position = 3").Single());
        Assert.Equal("""{"artist:a1":2,"genre:indie":2,"genre:rock":2}""", harness.Rows("SELECT dna_influence FROM passport_entries WHERE position = 4").Single());
        Assert.Equal("""{"artist:a1":-1,"genre:pop":-1}""", harness.Rows("SELECT dna_influence FROM passport_entries WHERE position = 6").Single());
        Assert.Equal("""{"artist:a2":5}""", harness.Rows("SELECT dna_influence FROM passport_entries WHERE position = 7").Single());
        Assert.Equal("""{"artist:a2":-5}""", harness.Rows("SELECT dna_influence FROM passport_entries WHERE position = 8").Single());
        Assert.Equal("""{"artist:a1":-3,"genre:pop":-3}""", harness.Rows("SELECT dna_influence FROM passport_entries WHERE position = 9").Single());

        Assert.Equal(["artist|a1|2|5", "artist|a2|0|2", "genre|indie|5|2", "genre|pop|-4|2", "genre|rock|5|2"],
            harness.Rows("SELECT kind, key, score, events FROM mediaid_dna WHERE user_id = 'u1' ORDER BY 1, 2"));
        Assert.Equal(["a1|pop|5"], harness.Rows("SELECT artist_id, genre, position FROM mediaid_artist_genres ORDER BY 1, 2"));
        // The platform's query over the recreated view still answers.
        Assert.Equal(["mediaid.artist_profile_updated|3|0", "player.track_completed|1|0", "player.track_liked|1|0", "player.track_played|1|0",
                "player.track_skipped|1|0", "player.track_unliked|1|0", "social.artist_followed|1|0", "social.artist_unfollowed|1|0"],
            harness.Rows("SELECT event_type, COUNT(*), processed_by_coliseum FROM passport_entries GROUP BY 1, 3 ORDER BY 1"));
        Assert.Equal(10, harness.Scalar("SELECT COUNT(*) FROM passport_entries WHERE processed_by_mediaid"));
    }

    [Fact]
    public async Task Batches_of_one_seven_and_a_thousand_give_identical_tables()
    {
        var events = Scenario();
        var dumps = new List<List<string>>();
        foreach (var batchSize in new[] { 1000, 7, 1 })
        {
            await using var harness = await ProcessorHarness.CreateAsync();
            await harness.AppendAsync([.. events]);
            Assert.Equal(events.Count, await harness.RunAsync(new MediaidConsumer(harness.Options), batchSize));
            dumps.Add(Dump(harness));

            // Not a trivial scenario: every event is in exactly one profile, links happened, and anonymous profiles were merged.
            Assert.Equal(events.Count, harness.Scalar("SELECT SUM(event_count) FROM mediaid_profiles"));
            Assert.Equal(events.Count, harness.Scalar("SELECT SUM(count) FROM mediaid_profile_events"));
            Assert.Equal(5, harness.Scalar("SELECT COUNT(*) FROM mediaid_identity_links"));
            Assert.Equal(0, harness.Scalar("SELECT COUNT(*) FROM mediaid_profiles WHERE user_id IN (SELECT 'anon:' || anonymous_id FROM mediaid_identity_links)"));
            Assert.Equal(0, harness.Scalar("SELECT COUNT(*) FROM mediaid_dna_influence WHERE user_id IN (SELECT 'anon:' || anonymous_id FROM mediaid_identity_links)"));
            Assert.Equal(1, harness.Scalar("SELECT COUNT(*) FROM mediaid_profiles WHERE user_id LIKE 'anon:%'"));
            Assert.Equal(harness.Scalar("SELECT COUNT(*) FROM mediaid_dna_influence"), harness.Scalar("SELECT SUM(events) FROM mediaid_dna WHERE kind = 'artist'"));
            Assert.True(harness.Scalar("SELECT COUNT(*) FROM mediaid_dna WHERE kind = 'genre'") > 0);
        }
        Assert.Equal(dumps[0], dumps[1]);
        Assert.Equal(dumps[0], dumps[2]);
    }

    [Fact]
    public async Task A_replay_gives_identical_tables()
    {
        await using var harness = await ProcessorHarness.CreateAsync();
        await harness.AppendAsync([.. Scenario()]);
        var consumer = new MediaidConsumer(harness.Options);
        await harness.RunAsync(consumer, batchSize: 50);
        var before = Dump(harness);

        var runner = harness.Runner(consumer);
        await runner.ResetAsync(CancellationToken.None);
        foreach (var table in new[] { "mediaid_profiles", "mediaid_profile_events", "mediaid_identity_links", "mediaid_artist_genres", "mediaid_dna", "mediaid_dna_influence" })
        {
            Assert.Equal(0, harness.Scalar($"SELECT COUNT(*) FROM {table}"));
        }
        await runner.CatchUpAsync(33, null, CancellationToken.None);
        await runner.ReleaseAsync(CancellationToken.None);

        Assert.Equal(before, Dump(harness));
    }

    [Fact]
    public async Task A_poison_entry_is_dead_lettered_and_later_events_still_apply()
    {
        await using var harness = await ProcessorHarness.CreateAsync(new ProcessingOptions { MaxAttempts = 1 });
        await harness.AppendAsync(
            Event("passport.identified", 1, user: "u1", fields: """ "traits":{"name":"Ana"} """),
            Event("passport.identified", 2, user: "u1", fields: """ "traits":{"city":"Lima"} """),     // 2: corrupted below
            Play(minute: 3, user: "u1", artist: "a1"),
            Play(minute: 4, user: "anon:dev-9", artist: "a1"),                                        // 4: a userId that collides with anonymous keys
            Event("passport.identified", 5, user: "u1", fields: """ "traits":{"email":"ana@example.com"} """),
            Play(minute: 6, user: "u1", artist: "a1"));
        Assert.Equal(1, Sql.Execute(harness.DatabasePath, """UPDATE passport_log SET metadata = '{"traits":"not an object"}' WHERE position = 2"""));

        await harness.RunAsync(new MediaidConsumer(harness.Options));

        Assert.Equal(["mediaid|2|passport.identified", "mediaid|4|player.track_played"],
            harness.Rows("SELECT consumer, position, event_type FROM consumer_dead_letters ORDER BY position"));
        Assert.Contains("traits", harness.Rows("SELECT error FROM consumer_dead_letters WHERE position = 2").Single(), StringComparison.Ordinal);
        Assert.Equal(["""u1|4|{"email":"ana@example.com","name":"Ana"}|6"""],
            harness.Rows("SELECT user_id, event_count, traits, updated_position FROM mediaid_profiles ORDER BY 1"));
        Assert.Equal(["u1|artist|a1|2|2"], harness.Rows("SELECT user_id, kind, key, score, events FROM mediaid_dna"));
        Assert.Equal(6, harness.Scalar("SELECT position FROM consumer_cursors WHERE name = 'mediaid'"));
    }

    /// <summary>
    /// A few hundred events over five users, six devices and four artists: anonymous history, links in
    /// the middle (one device claimed twice), events with both ids that do not link, genre changes,
    /// traits, consent and preferences from both anonymous and known users.
    /// </summary>
    private static List<string> Scenario()
    {
        var random = new Random(20261120);
        var events = new List<string>
        {
            Event("mediaid.artist_profile_updated", 0, user: "admin", fields: "\"artistId\":\"a1\",\"name\":\"A1\",\"genres\":[\"rock\",\"indie\"]"),
            Event("mediaid.artist_profile_updated", 0, user: "admin", fields: "\"artistId\":\"a2\",\"name\":\"A2\",\"genres\":[\"jazz\"]"),
        };
        var users = new[] { "u1", "u2", "u3", "u4", "u5" };
        var devices = new[] { "d1", "d2", "d3", "d4", "d5", "d6" };
        var artists = new[] { "a1", "a2", "a3", "a4" };
        string[] taste =
        [
            "player.track_played|\"trackId\":\"t\",\"artistId\":\"{0}\",\"durationSeconds\":10",
            "player.track_completed|\"trackId\":\"t\",\"artistId\":\"{0}\",\"listenedSeconds\":10",
            "player.track_skipped|\"trackId\":\"t\",\"artistId\":\"{0}\",\"positionSeconds\":1",
            "player.track_liked|\"trackId\":\"t\",\"artistId\":\"{0}\"",
            "player.track_unliked|\"trackId\":\"t\",\"artistId\":\"{0}\"",
            "social.artist_followed|\"artistId\":\"{0}\"",
            "social.artist_unfollowed|\"artistId\":\"{0}\"",
        ];
        // Links: d1→u1, d2→u2 (signed_up), d3→u1 (identified), d1→u3 refused (d1 is u1's already), d4→u4, d5→u5; d6 never links.
        var links = new Dictionary<int, (string Type, string User, string Device)>
        {
            [40] = ("passport.logged_in", "u1", "d1"),
            [80] = ("passport.signed_up", "u2", "d2"),
            [120] = ("passport.identified", "u1", "d3"),
            [150] = ("passport.logged_in", "u3", "d1"),
            [200] = ("passport.logged_in", "u4", "d4"),
            [230] = ("passport.logged_in", "u5", "d5"),
        };
        for (var minute = 1; minute <= 260; minute++)
        {
            if (links.TryGetValue(minute, out var link))
            {
                var fields = link.Type == "passport.identified" ? """ "traits":{"linked":true} """ : "\"method\":\"email\"";
                events.Add(Event(link.Type, minute, user: link.User, anon: link.Device, fields: fields));
                continue;
            }
            var anonymous = random.Next(3) == 0;
            var user = anonymous ? null : users[random.Next(users.Length)];
            var roll = random.Next(20);
            // Known users' events sometimes carry a device id too (links come only from the scripted events above).
            var device = anonymous || (roll != 0 && random.Next(4) == 0) ? devices[random.Next(devices.Length)] : null;
            // Events out of time order now and then: first/last seen must not depend on log order.
            var at = minute - random.Next(3) * 30;
            events.Add(roll switch
            {
                0 => Event("passport.identified", at, user, device, $$"""
                    "traits":{"k{{random.Next(3)}}":{{random.Next(100)}},"city":"c{{random.Next(4)}}"}
                    """),
                1 => Event("passport.consent_updated", at, user, device, $"\"scope\":\"s{random.Next(2)}\",\"granted\":{(random.Next(2) == 0 ? "true" : "false")}"),
                2 => Event("mediaid.preferences_updated", at, user, device, $"\"genres\":[\"g{random.Next(3)}\"]" + (random.Next(2) == 0 ? ",\"cities\":[\"x\"]" : "")),
                3 => Event("mediaid.artist_profile_updated", at, user, device,
                    $"\"artistId\":\"{artists[random.Next(artists.Length)]}\",\"name\":\"n\",\"genres\":[\"gen{random.Next(4)}\",\"gen{random.Next(4)}\"]"),
                4 => Event("passport.page_viewed", at, user, device, "\"path\":\"/\""),
                _ => TasteEvent(taste[random.Next(taste.Length)], artists[random.Next(artists.Length)], at, user, device),
            });
        }
        // An anonymous device that is never linked, so one anon: profile remains.
        events.Add(Play(minute: 261, anon: "d6", artist: "a1"));
        return events;

        static string TasteEvent(string template, string artist, int at, string? user, string? device)
        {
            var parts = template.Split('|');
            return Event(parts[0], at, user, device, parts[1].Replace("{0}", artist, StringComparison.Ordinal));
        }
    }

    private static List<string> Dump(ProcessorHarness harness) => [.. Tables.SelectMany(sql => harness.Rows(sql).Prepend("## " + sql))];

    private static string Play(int minute, string artist, string? user = null, string? anon = null) =>
        Event("player.track_played", minute, user, anon, $"\"trackId\":\"t-{artist}\",\"artistId\":\"{artist}\",\"durationSeconds\":100");

    private static string Like(int minute, string artist, string? user = null, string? anon = null) =>
        Event("player.track_liked", minute, user, anon, $"\"trackId\":\"t-{artist}\",\"artistId\":\"{artist}\"");

    private static string Event(string type, int minute, string? user = null, string? anon = null, string fields = "")
    {
        var json = new StringBuilder("{\"type\":\"").Append(type).Append("\",\"at\":\"")
            .Append(Start.AddMinutes(minute).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)).Append('"');
        if (user is not null)
        {
            json.Append(",\"userId\":\"").Append(user).Append('"');
        }
        if (anon is not null)
        {
            json.Append(",\"anonymousId\":\"").Append(anon).Append('"');
        }
        if (fields.Length > 0)
        {
            json.Append(',').Append(fields.Trim());
        }
        return json.Append('}').ToString();
    }

    private static long Ms(int minute) => Start.AddMinutes(minute).ToUnixTimeMilliseconds();
}
