namespace Coliseum.Storage;

/// <summary>The store could not be reached or written; the caller should retry later (503).</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
