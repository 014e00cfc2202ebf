using System.Text;
using System.Text.Json.Nodes;
using Candor.Json;

namespace Candor.Tests.Json;

public sealed class JsonValuesTests
{
    [Fact]
    public void CopyValue_WritesTheSameValue()
    {
        var source = Encoding.UTF8.GetBytes(Some.ManifestJson);

        var copy = JsonValues.Write(JsonValues.Indented, writer => JsonValues.CopyValue(source, writer));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(source), JsonNode.Parse(copy)));
    }
}
