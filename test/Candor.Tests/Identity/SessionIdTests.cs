using Candor.Identity;

namespace Candor.Tests.Identity;

public class SessionIdTests
{
    [Fact]
    public void Current_IsRandomAndStableForTheProcess()
    {
        Assert.NotEqual(Guid.Empty, SessionId.Current);
        Assert.Equal(SessionId.Current, SessionId.Current);
    }
}
