using System.Text.Json;
using Coliseum.Tests.Infrastructure;

namespace Coliseum.Tests.Capture;

/// <summary><c>coliseum schema</c>, run as the React app's build would run it.</summary>
public sealed class SchemaCommandTests
{
    [Fact]
    public async Task Schema_json_prints_a_JSON_Schema_with_every_catalogue_type()
    {
        var (exit, output) = await RunAsync("schema", "--format", "json");

        Assert.Equal(0, exit);
        using var schema = JsonDocument.Parse(output);
        Assert.Equal(51, schema.RootElement.GetProperty("oneOf").GetArrayLength());
        Assert.Contains("player.track_played", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_ts_prints_TypeScript_declarations()
    {
        var (exit, output) = await RunAsync("schema", "--format", "ts");

        Assert.Equal(0, exit);
        Assert.Contains("export type PassportEvent =", output, StringComparison.Ordinal);
        Assert.Contains("type: \"concierto.ticket_purchased\";", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_with_an_unknown_format_fails_with_a_message()
    {
        var (exit, output) = await RunAsync("schema", "--format", "xml");

        Assert.NotEqual(0, exit);
        Assert.Contains("xml", output, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var (exit, output, error) = await ColiseumCli.RunAsync(args);
        return (exit, output + error);
    }
}
