using Candor.Manifest;
using Candor.Storage;

namespace Candor.Delivery;

/// <summary>
/// The marks (<c>products/{id}/upload.request</c>) by which runs ask the one uploader of a Candor home to send a
/// product's spool. A run marks before it looks for a running uploader, and an uploader looks for marks after it
/// lets go of the home's upload lock, so a mark is always seen: either by the run, which then finds the lock free
/// and starts an uploader, or by the uploader that held the lock. Nothing here throws for a file-system failure.
/// </summary>
internal sealed class UploadRequests
{
    private readonly CandorHome _home;
    private readonly IFileSystem _files;

    public UploadRequests(CandorHome home, IFileSystem files)
    {
        _home = home;
        _files = files;
    }

    /// <summary>Marks <paramref name="product"/>'s spool for the uploader; false when the mark could not be written.</summary>
    public bool Add(string product)
    {
        try
        {
            // Into the product's folder only if it is there: the run that asks has spooled into it, and an opt-out erases it.
            _files.WriteAtomic(_home.UploadRequest(product), [], durable: false);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The products whose spool was asked for, sorted; empty when none was or the home cannot be read.</summary>
    public IReadOnlyList<string> Pending()
    {
        try
        {
            var products = new List<string>();
            foreach (var directory in _files.ListDirectories(_home.ProductsDirectory))
            {
                var product = Path.GetFileName(directory);
                if (ManifestBuilder.IdPattern().IsMatch(product) && _files.FileExists(_home.UploadRequest(product)))
                {
                    products.Add(product);
                }
            }

            products.Sort(StringComparer.Ordinal);
            return products;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Takes the mark away before its spool is sent, so a run that marks again meanwhile is not lost.</summary>
    public void Remove(string product)
    {
        try
        {
            _files.DeleteFile(_home.UploadRequest(product));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind, the mark only makes the uploader look at an empty spool once more.
        }
    }
}
