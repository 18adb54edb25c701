using Coliseum.Capture;

namespace Coliseum.Storage;

/// <summary>A stored record and its position in the log.</summary>
public sealed record PassportEntry(long Position, PassportRecord Record);
