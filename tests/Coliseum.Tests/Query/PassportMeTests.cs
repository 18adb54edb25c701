using System.Net;
using System.Text.Json;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Processing;
using static Coliseum.Tests.Query.ReportDataset;

namespace Coliseum.Tests.Query;

/// <summary>GET /api/passport/me: only that user's entries, newest first, paged; their summary; keys and bounds.</summary>
public sealed class PassportMeTests
{
    [Fact]
    public async Task A_user_gets_only_their_own_entries_newest_first_page_by_page_and_their_summary()
    {
        await using var server = await TestServer.StartAsync();
        var data = Dataset.Generate(400);
        await ReportClient.LoadAsync(server, data.Events);
        const string user = "u3";
        var expected = data.Events.Where(e => S(e, "userId") == user).Select(e => S(e, "messageId")).Reverse().ToList();
        Assert.True(expected.Count > 10, "u3 has several pages");

        var seen = new List<string>();
        long? before = null;
        JsonElement summary = default;
        for (var page = 0; page < 100; page++)
        {
            using var response = await ReportClient.SendAsync(server, HttpMethod.Get, $"/api/passport/me?userId={user}&limit=7" + (before is null ? "" : $"&before={before}"), TestServer.AdminKey);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            Assert.Equal(user, body.GetProperty("userId").GetString());
            var entries = body.GetProperty("entries").EnumerateArray().ToList();
            Assert.True(entries.Count <= 7);
            seen.AddRange(entries.Select(e => e.GetProperty("messageId").GetString()!));
            summary = body.GetProperty("summary");
            if (body.GetProperty("nextBefore").ValueKind == JsonValueKind.Null)
            {
                break;
            }
            before = body.GetProperty("nextBefore").GetInt64();
            Assert.Equal(entries[^1].GetProperty("position").GetInt64(), before);
        }
        Assert.Equal(expected, seen);

        var mine = data.Events.Where(e => S(e, "userId") == user).ToList();
        Assert.Equal(mine.GroupBy(Type).Select(g => $"{g.Key}|{g.Count()}").Order(StringComparer.Ordinal),
            summary.GetProperty("eventsByType").EnumerateArray().Select(t => $"{t.GetProperty("type").GetString()}|{t.GetProperty("count").GetInt64()}").Order(StringComparer.Ordinal));
        Assert.Equal(mine.Count, summary.GetProperty("profile").GetProperty("eventCount").GetInt64());
        Assert.Equal(data.SpentByUser().Where(l => l.StartsWith(user + "|", StringComparison.Ordinal)),
            summary.GetProperty("money").EnumerateArray().Where(m => m.GetProperty("spentCents").GetInt64() > 0).Select(m => $"{user}|{m.GetProperty("currency").GetString()}|{m.GetProperty("spentCents").GetInt64()}"));
        var standing = new Dictionary<(string, string, string), long>();
        long votes = 0;
        foreach (var e in data.Events.Where(e => Type(e) is "coliseum.vote_cast" or "coliseum.vote_retracted"))
        {
            var key = (S(e, "userId"), S(e, "eventId"), S(e, "artistId"));
            var delta = Type(e) == "coliseum.vote_cast" ? L(e, "weight") : -standing.GetValueOrDefault(key);
            standing[key] = Type(e) == "coliseum.vote_cast" ? standing.GetValueOrDefault(key) + delta : 0;
            votes += key.Item1 == user ? delta : 0;
        }
        Assert.Equal(votes, summary.GetProperty("votes").GetInt64());
        Assert.NotEmpty(summary.GetProperty("topArtists").EnumerateArray());

        // An entry carries the event's own fields.
        using var one = await ReportClient.SendAsync(server, HttpMethod.Get, $"/api/passport/me?userId={user}&limit=1", TestServer.AdminKey);
        var newest = JsonDocument.Parse(await one.Content.ReadAsStringAsync()).RootElement.GetProperty("entries")[0];
        var source = mine[^1];
        Assert.Equal(S(source, "type"), newest.GetProperty("type").GetString());
        Assert.Equal(At(source), DateTimeOffset.Parse(newest.GetProperty("at").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, value) in source.Where(p => p.Key is not ("type" or "userId" or "at" or "messageId")))
        {
            Assert.Equal(value!.ToJsonString(), newest.GetProperty("fields").GetProperty(name).GetRawText());
        }
    }

    [Fact]
    public async Task A_user_with_no_entries_gets_an_empty_page_and_no_profile()
    {
        await using var server = await TestServer.StartAsync();
        await ReportClient.LoadAsync(server, [Infrastructure.Events.TrackPlayed(userId: "someone-else")]);
        using var response = await ReportClient.SendAsync(server, HttpMethod.Get, "/api/passport/me?userId=nobody", TestServer.AdminKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Empty(body.GetProperty("entries").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("nextBefore").ValueKind);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("summary").GetProperty("profile").ValueKind);
        Assert.Empty(body.GetProperty("summary").GetProperty("eventsByType").EnumerateArray());
    }

    [Theory]
    [InlineData(null, "/api/passport/me?userId=u1", HttpStatusCode.Unauthorized, null)]
    [InlineData(TestServer.WriteKey, "/api/passport/me?userId=u1", HttpStatusCode.Forbidden, null)]
    [InlineData(TestServer.ReadKey, "/api/passport/me?userId=u1", HttpStatusCode.Forbidden, null)]
    [InlineData(TestServer.AdminKey, "/api/passport/me", HttpStatusCode.BadRequest, "userId")]
    [InlineData(TestServer.AdminKey, "/api/passport/me?userId=u1&limit=0", HttpStatusCode.BadRequest, "limit")]
    [InlineData(TestServer.AdminKey, "/api/passport/me?userId=u1&limit=501", HttpStatusCode.BadRequest, "limit")]
    [InlineData(TestServer.AdminKey, "/api/passport/me?userId=u1&before=0", HttpStatusCode.BadRequest, "before")]
    public async Task Passport_me_needs_an_admin_key_a_user_and_bounded_paging(string? key, string path, HttpStatusCode status, string? field)
    {
        await using var server = await TestServer.StartAsync();
        using var response = await ReportClient.SendAsync(server, HttpMethod.Get, path, key);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, text);
        if (field is not null)
        {
            Assert.Equal(field, JsonDocument.Parse(text).RootElement.GetProperty("field").GetString());
        }
    }

    [Fact]
    public async Task A_users_entries_are_found_through_the_user_index_not_a_scan_of_the_log()
    {
        await using var server = await TestServer.StartAsync();
        if (TestBackend.Postgres)
        {
            // The tables are nearly empty, so the planner would scan them anyway: forbid scans and see that indexes serve.
            using var connection = TestBackend.Open(TestBackend.SchemaOf(server.DataDirectory));
            using var command = new Npgsql.NpgsqlCommand("""
                SET enable_seqscan = off;
                EXPLAIN SELECT p.position, p.metadata FROM mediaid_user_entries u JOIN passport_log p ON p.position = u.position
                WHERE u.user_id = 'u1' AND u.position < 9223372036854775807 ORDER BY u.position DESC LIMIT 51
                """, connection);
            var lines = new List<string>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    lines.Add(reader.GetString(0));
                }
            }
            var text = string.Join("\n", lines);
            // The user's rows come from the key of mediaid_user_entries, and each entry from a partition's position index.
            Assert.Contains("on mediaid_user_entries_pkey", text, StringComparison.Ordinal);
            Assert.Contains("_position_idx on passport_log_", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Seq Scan", text, StringComparison.Ordinal);
            return;
        }
        var plan = Sql.Rows(server.DatabasePath, """
            EXPLAIN QUERY PLAN SELECT p.position, p.metadata FROM mediaid_user_entries u JOIN passport_log p ON p.position = u.position
            WHERE u.user_id = 'u1' AND u.position < 9223372036854775807 ORDER BY u.position DESC LIMIT 51
            """);
        Assert.Contains(plan, row => row.Contains("SEARCH u USING PRIMARY KEY (user_id=? AND position<?)", StringComparison.Ordinal));
        Assert.Contains(plan, row => row.Contains("SEARCH p USING INTEGER PRIMARY KEY (rowid=?)", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, row => row.Contains("SCAN p", StringComparison.Ordinal) || row.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }
}
