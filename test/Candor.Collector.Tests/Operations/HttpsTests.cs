using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Candor.Collector.Storage;
using Candor.Delivery;
using Candor.Protocol;
using Candor.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Collector.Tests.Operations;

/// <summary>
/// HTTPS the way an operator turns it on: Kestrel's own configuration (<c>Kestrel:Endpoints</c>) with a
/// certificate file, here a self-signed one made for the test. Clients trust exactly that certificate.
/// </summary>
public sealed class HttpsTests : IDisposable
{
    private const string Password = "test-only-password";

    private readonly string _folder = Directory.CreateTempSubdirectory("candor-https-").FullName;
    private readonly X509Certificate2 _certificate;
    private readonly string _certificatePath;

    public HttpsTests()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _certificatePath = Path.Combine(_folder, "collector.pfx");
        File.WriteAllBytes(_certificatePath, _certificate.Export(X509ContentType.Pfx, Password));
    }

    [Fact]
    public async Task Batch_OverHttpsFromKestrelConfiguration_IsStored()
    {
        await using var collector = await StartAsync();
        var key = await collector.RegisterAsync();
        var sent = Some.Install();

        var response = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, [sent]));

        Assert.Equal(Uri.UriSchemeHttps, collector.BaseAddress.Scheme);
        Assert.Equal(1, response.Accepted);
        var stored = await collector.Store.ReadRawAsync(new EventFilter(Some.Product, new(2026, 1, 1), new(2026, 12, 31)), 10, default);
        Assert.Equal(sent.Id, Assert.Single(stored).Id);
    }

    [Fact]
    public async Task Batch_OverHttps_IsRefusedByAClientThatDoesNotTrustTheCertificate()
    {
        await using var collector = await StartAsync();
        using var https = new HttpClient { BaseAddress = collector.BaseAddress };

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => collector.PostBatchAsync("any-key", [Some.Install()], client: https));

        Assert.IsType<AuthenticationException>(failure.InnerException);
    }

    [Fact]
    public async Task SdkDelivery_OverHttps_UploadsAndEmptiesTheSpool()
    {
        await using var collector = await StartAsync();
        var key = await collector.RegisterAsync();
        var home = new CandorHome(Path.Combine(_folder, "home"));
        using var delivery = new EventDelivery(
            home, Some.Product, collector.BaseAddress.ToString(), key, new DeliveryOptions(), PhysicalFileSystem.Instance, new FakeTimeProvider(Some.Now), TrustingHandler());
        var sent = Some.Install();
        Assert.True(delivery.Spool.TryWrite(sent.Id, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(sent, ProtocolJsonContext.Default.WireEvent)));

        delivery.StartUpload();

        Assert.True(await delivery.DrainAsync(TimeSpan.FromMinutes(1)));
        Assert.False(delivery.Spool.HasPending());
        Assert.Equal(1, await collector.Store.CountRawEventsAsync(Some.Product, default));
    }

    public void Dispose()
    {
        _certificate.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private Task<TestCollector> StartAsync() => TestCollector.StartAsync(new Dictionary<string, string?>
    {
        ["Kestrel:Endpoints:Https:Url"] = "https://127.0.0.1:0",
        ["Kestrel:Endpoints:Https:Certificate:Path"] = _certificatePath,
        ["Kestrel:Endpoints:Https:Certificate:Password"] = Password,
    }, handler: TrustingHandler);

    // Trusts the test's certificate and nothing else, as a client with the operator's CA would.
    private SocketsHttpHandler TrustingHandler()
    {
        var thumbprint = _certificate.Thumbprint;
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == thumbprint,
            },
        };
    }
}
