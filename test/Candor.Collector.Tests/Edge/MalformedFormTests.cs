using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Candor.Collector.Tests.Edge;

/// <summary>
/// What a client can send to the dashboard's forms and the admin API that is not what they expect: each gets a
/// 4xx with a problem+json detail, never a 500, and at most one log line without a stack trace.
/// </summary>
public sealed partial class MalformedFormTests
{
    public static TheoryData<string, string> SignInBodies => new()
    {
        { "none", "" },
        { "json", "application/json" },
        { "text", "text/plain" },
        { "fields", "application/x-www-form-urlencoded" },
        { "value", "application/x-www-form-urlencoded" },
        { "multipart", "multipart/form-data; boundary=xyz" },
        { "multipart-no-boundary", "multipart/form-data" },
    };

    [Theory]
    [MemberData(nameof(SignInBodies))]
    public async Task SignIn_WithABodyThatIsNotItsForm_IsA4xxProblem(string kind, string contentType)
    {
        await using var collector = await TestCollector.StartAsync();
        using var client = collector.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/dashboard/sign-in") { Content = Body(kind, contentType) };

        var response = await client.SendAsync(request);

        await AssertProblemAsync(response, collector);
    }

    [Theory]
    [InlineData("fields", "application/x-www-form-urlencoded")]
    [InlineData("value", "application/x-www-form-urlencoded")]
    [InlineData("multipart", "multipart/form-data; boundary=xyz")]
    [InlineData("json", "application/json")]
    [InlineData("none", "")]
    public async Task SignOut_WithABodyThatIsNotItsForm_IsA4xxProblemAndKeepsTheSession(string kind, string contentType)
    {
        await using var collector = await TestCollector.StartAsync();
        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = collector.BaseAddress };
        await SignInAsync(client, TestCollector.AdminToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/dashboard/sign-out") { Content = Body(kind, contentType) };

        var response = await client.SendAsync(request);

        await AssertProblemAsync(response, collector);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/dashboard")).StatusCode);
    }

    [Theory]
    [InlineData("application/json; charset=\"utf-8\"", HttpStatusCode.Created)]
    [InlineData("application/json; charset=\"UTF-8\"", HttpStatusCode.Created)]
    [InlineData("application/json; charset=utf-16", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json; charset=\"no-such\"", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json; charset=", HttpStatusCode.UnsupportedMediaType)]
    public async Task AdminCall_WithACharset_IsReadAsUtf8OrRefusedWith415(string contentType, HttpStatusCode expected)
    {
        await using var collector = await TestCollector.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/tokens")
        {
            Content = new ByteArrayContent("""{"role":"admin","name":"ops"}"""u8.ToArray()),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var response = await collector.Admin.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        if (expected is HttpStatusCode.UnsupportedMediaType)
        {
            await AssertProblemAsync(response, collector);
        }
    }

    internal static async Task SignInAsync(HttpClient client, string token)
    {
        var form = await client.GetStringAsync("/dashboard/sign-in");
        var field = FormToken().Match(form);
        var response = await client.PostAsync("/dashboard/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [field.Groups["name"].Value] = WebUtility.HtmlDecode(field.Groups["value"].Value),
            ["token"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    private static ByteArrayContent Body(string kind, string contentType)
    {
        byte[] bytes = kind switch
        {
            "none" => [],
            "json" => """{"token":"x"}"""u8.ToArray(),
            "text" => "token=x"u8.ToArray(),
            "fields" => Encoding.ASCII.GetBytes(string.Join('&', Enumerable.Range(0, 1100).Select(i => $"f{i}=1"))),
            "value" => Encoding.ASCII.GetBytes("token=" + new string('a', 4 * 1024 * 1024 + 10)),
            "multipart" => "--xyz\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nx\r\n--xy"u8.ToArray(),
            "multipart-no-boundary" => "token=x"u8.ToArray(),
            _ => "token=x"u8.ToArray(),
        };
        var content = new ByteArrayContent(bytes);
        if (contentType.Length > 0)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        return content;
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, TestCollector collector)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status is >= 400 and < 500, $"{status}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(string.IsNullOrWhiteSpace(JsonNode.Parse(body)!["detail"]?.GetValue<string>()), body);
        Assert.DoesNotContain(collector.Logs, line => line.Contains("   at ", StringComparison.Ordinal));
        Assert.DoesNotContain(collector.Logs, line => line.StartsWith("Error", StringComparison.Ordinal) || line.StartsWith("Critical", StringComparison.Ordinal));
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>__RequestVerificationToken)\" value=\"(?<value>[^\"]+)\">")]
    private static partial Regex FormToken();
}
