using System.CommandLine;
using Coliseum.Catalogue;
using Coliseum.Hosting;

namespace Coliseum;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Coliseum: capture events, keep them in the Passport log, and serve what they add up to.");

        var serve = new Command("serve", "Start the HTTP server (ASP.NET's --urls and ASPNETCORE_URLS apply; default http://localhost:8000).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        serve.SetAction(async (parse, cancellationToken) =>
        {
            await using var app = await ColiseumApp.BuildAsync([.. parse.UnmatchedTokens], cancellationToken: cancellationToken);
            await app.RunAsync();
            return 0;
        });
        root.Subcommands.Add(serve);

        var format = new Option<string>("--format") { Description = "json (JSON Schema) or ts (TypeScript declarations)", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "ts");
        var schema = new Command("schema", "Print the event catalogue as JSON Schema or TypeScript declarations.") { format };
        schema.SetAction(parse =>
        {
            Console.Out.Write(parse.GetValue(format) == "ts" ? CatalogueSchema.ToTypeScript() : CatalogueSchema.ToJsonSchema());
            return 0;
        });
        root.Subcommands.Add(schema);

        root.Subcommands.Add(Cli.ProcessingCommands.Replay());
        root.Subcommands.Add(Cli.ProcessingCommands.DeadLetter());
        root.Subcommands.Add(Cli.KeyCommands.Keys());
        root.Subcommands.Add(Cli.MigrateCommand.Create());
        root.Subcommands.Add(Cli.MigrateDataCommand.Create());

        try
        {
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (ex is FileNotFoundException or Microsoft.Extensions.Options.OptionsValidationException)
        {
            await Console.Error.WriteLineAsync($"coliseum: {ex.Message}");
            return 1;
        }
    }
}
