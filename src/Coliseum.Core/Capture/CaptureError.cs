namespace Coliseum.Capture;

/// <summary>Why an event was refused: a sentence for people and, where one is to blame, the field.</summary>
public readonly record struct CaptureError(string Message, string? Field = null);
