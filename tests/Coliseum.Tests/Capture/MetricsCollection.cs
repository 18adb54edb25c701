namespace Coliseum.Tests.Capture;

/// <summary>
/// Coliseum's meters are process-wide, and so is the Prometheus registry behind <c>/metrics</c>. Tests
/// that assert how much a counter moved run here, on their own after the parallel tests, so that
/// nothing else moves it meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics";
}
