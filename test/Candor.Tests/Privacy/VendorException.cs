namespace Vendor.Library;

/// <summary>
/// An exception type of a library the product does not declare: its name is text its author chose, here one that
/// spells a user name, which a stack signature must never carry.
/// </summary>
internal sealed class JsmithAtHomeException(string? message = null, Exception? inner = null) : Exception(message, inner);
