using System.Text.Json.Serialization;

namespace Coliseum.Query;

/// <summary>A funnel's answer. <see cref="LogPosition"/> is the coliseum consumer's cursor: the result reflects the log up to it.</summary>
public sealed record FunnelResult(
    IReadOnlyList<FunnelStep> Steps,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FunnelGroup>? Breakdown,
    string Within,
    DateTime From,
    DateTime To,
    long LogPosition);

/// <summary>
/// One step: how many users reached it, the share of step-1 users (<see cref="Conversion"/>) and of the
/// previous step's users (<see cref="ConversionFromPrevious"/>, null for step 1), and the median time from
/// the previous step in the users' best attempts (null for step 1 or when nobody reached it).
/// </summary>
public sealed record FunnelStep(string Type, long Users, double Conversion, double? ConversionFromPrevious, double? MedianSecondsFromPrevious);

/// <summary>The funnel of the users whose best attempt started with this breakdown value.</summary>
public sealed record FunnelGroup(string Value, IReadOnlyList<FunnelStep> Steps);
