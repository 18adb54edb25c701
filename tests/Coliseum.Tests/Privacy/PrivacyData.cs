using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Tests.Infrastructure;
using Coliseum.Tests.Processing;

namespace Coliseum.Tests.Privacy;

/// <summary>
/// The generated dataset plus a life for the user to be erased (<see cref="Target"/>, the busiest user):
/// anonymous visits on a device before signing up (which links the device), traits with an e-mail, a
/// campaign touchpoint, a subscription; and a stranger's anonymous visit that must survive.
/// </summary>
internal static class PrivacyData
{
    public const string Target = "u1";
    public const string Device = "dev-u1";
    public const string Email = "u1@example.com";
    public const string StrangerDevice = "dev-stranger";

    public static JsonObject[] Extras()
    {
        var at = Dataset.Start.AddMinutes(40);
        string T(int minutes) => at.AddMinutes(minutes).ToString("O", CultureInfo.InvariantCulture);
        return
        [
            Node($$$"""{"type":"passport.session_started","anonymousId":"{{{Device}}}","at":"{{{T(0)}}}","messageId":"px-1","utm":{"source":"newsletter","medium":"email","campaign":"launch"}}"""),
            Node($$"""{"type":"passport.page_viewed","anonymousId":"{{Device}}","at":"{{T(1)}}","messageId":"px-2","path":"/pricing"}"""),
            Node($$"""{"type":"passport.signed_up","userId":"{{Target}}","anonymousId":"{{Device}}","at":"{{T(2)}}","messageId":"px-3","method":"email"}"""),
            Node($$$"""{"type":"passport.identified","userId":"{{{Target}}}","at":"{{{T(3)}}}","messageId":"px-4","traits":{"email":"{{{Email}}}","name":"Ana"}}"""),
            Node($$"""{"type":"treasury.subscription_started","userId":"{{Target}}","at":"{{T(4)}}","messageId":"px-5","plan":"pro","amountCents":999,"currency":"usd","interval":"month"}"""),
            Node($$"""{"type":"passport.page_viewed","anonymousId":"{{StrangerDevice}}","at":"{{T(5)}}","messageId":"px-6","path":"/"}"""),
        ];
    }

    private static JsonObject Node(string json) => JsonNode.Parse(json)!.AsObject();

    public static bool IsTarget(JsonObject e) => e["userId"]?.GetValue<string>() == Target || e["anonymousId"]?.GetValue<string>() == Device;

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static async Task<(HttpStatusCode Status, JsonElement Body, string? Location)> SendAsync(HttpClient client, HttpMethod method, string path, string? key)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text.Length == 0 ? "null" : text).RootElement.Clone(), response.Headers.Location?.ToString());
    }

    /// <summary>Polls a privacy request until its rebuild is done.</summary>
    public static async Task<JsonElement> WaitDoneAsync(HttpClient client, long id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        var last = default(JsonElement);
        while (DateTime.UtcNow < deadline)
        {
            var (status, body, _) = await SendAsync(client, HttpMethod.Get, $"/api/privacy/requests/{id}", TestServer.AdminKey);
            Assert.Equal(HttpStatusCode.OK, status);
            last = body;
            if (body.GetProperty("status").GetString() == "done")
            {
                return body;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("the erasure's rebuild did not finish: " + last);
    }

    /// <summary>Every cell in every table of the database that holds one of <paramref name="needles"/> (exactly, or inside JSON or text): "table.column=value".</summary>
    public static List<string> Mentions(string databasePath, params string[] needles)
    {
        var found = new List<string>();
        var postgres = databasePath.StartsWith(TestBackend.Prefix, StringComparison.Ordinal);
        var schema = postgres ? databasePath[TestBackend.Prefix.Length..] : "";
        var tables = postgres
            ? Sql.Column(databasePath, $"SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}' ORDER BY table_name")
            : Sql.Column(databasePath, "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name");
        foreach (var table in tables)
        {
            var columns = postgres
                ? Sql.Column(databasePath, $"SELECT column_name FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = '{table}' ORDER BY ordinal_position")
                : Sql.Column(databasePath, $"SELECT name FROM pragma_table_info('{table}')");
            foreach (var column in columns)
            {
                var conditions = string.Join(" OR ", needles.Select(n => $"CAST(\"{column}\" AS TEXT) = '{n}' OR CAST(\"{column}\" AS TEXT) LIKE '%\"{n}\"%' OR CAST(\"{column}\" AS TEXT) LIKE '%:{n}%'"));
                found.AddRange(Sql.Column(databasePath, $"SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\" WHERE {conditions} LIMIT 3").Select(v => $"{table}.{column}={v}"));
            }
        }
        return found;
    }
}
