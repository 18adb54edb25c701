using System.Text.Json;
using System.Text.Json.Nodes;
using Coliseum.Bench;

// Load driver for Coliseum's end-to-end figures. Prints one JSON document on stdout; progress goes to stderr.
//   dotnet run -c Release --project bench/Coliseum.Bench -- capture [--events N] [--connections N] [--seconds N]
//       [--warmup-events N] [--warmup-seconds N] [--single-connections N] [--per-batch N] [--random-ids 1]
//   ... -- rebuild [--events N (1,000,000)] [--batch N (replay batch size)] [--seed N]
//   ... -- report [--events N (1,000,000)] [--repetitions N (200)] [--seed N]
//   ... -- freshness [--rate N (5,000 events/s)] [--seconds N (60)] [--baseline-seconds N (15)] [--warmup-seconds N (15)] [--connections N (8)]
//   ... -- funnel [--events N (1,000,000)] [--index-cost 0|1 (1: a second coliseum rebuild without the funnel index)] [--seed N]
//   ... -- reads [--events N (100,000 loaded first)] [--readers N (32)] [--capture-rate N (2,000)] [--seconds N (20)]
//   ... -- fanout [--subscribers N (1,000)] [--seconds N (30 probes)]
//   ... -- postgres [--parts copy,single,rebuild,three] [--events N (200,000)] [--rebuild-events N (50,000)] [--rounds N (2)]
//       [--seconds N (10 per single round)] [--warmup-events N] [--warmup-seconds N] [--connections N] [--single-connections N]
//       (the server: COLISEUM_BENCH_POSTGRES or COLISEUM_TEST_POSTGRES, an Npgsql connection string)
var scenario = args.Length > 0 ? args[0] : "capture";
var options = BenchOptions.Parse(args);
var report = new JsonObject
{
    ["scenario"] = scenario,
    ["startedAt"] = DateTimeOffset.UtcNow.ToString("O"),
    ["machine"] = new JsonObject { ["cores"] = Environment.ProcessorCount, ["os"] = Environment.OSVersion.ToString(), ["runtime"] = Environment.Version.ToString() },
};
// Each run works in its own scratch directory, deleted before and after (databases are hundreds of MB).
Scratch.CleanUp();
try
{
    report["results"] = scenario switch
    {
        "capture" => await CaptureBenchmark.RunAsync(options),
        "rebuild" => await RebuildBenchmark.RunAsync(options),
        "freshness" => await FreshnessBenchmark.RunAsync(options),
        "funnel" => await FunnelBenchmark.RunAsync(options),
        "report" => await ReportBenchmark.RunAsync(options),
        "reads" => await QueryBenchmark.RunReadsAsync(options),
        "fanout" => await QueryBenchmark.RunFanoutAsync(options),
        "postgres" => await PostgresBenchmark.RunAsync(options),
        _ => throw new ArgumentException($"unknown scenario '{scenario}'; try: capture, rebuild, freshness, funnel, report, reads, fanout, postgres"),
    };
}
finally
{
    Scratch.CleanUp();
}
Console.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
