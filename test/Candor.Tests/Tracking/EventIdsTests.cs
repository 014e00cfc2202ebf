using Candor.Tracking;

namespace Candor.Tests.Tracking;

public class EventIdsTests
{
    [Fact]
    public void Next_AcrossSeveralBlocks_GivesDistinctRandomVersion4Ids()
    {
        var ids = new EventIds();
        var drawn = Enumerable.Range(0, EventIds.IdsPerBlock * 3 + 1).Select(_ => ids.Next()).ToList();

        Assert.All(drawn, id =>
        {
            Assert.Equal(4, id.Version);
            Assert.InRange(id.Variant, 0x8, 0xB);
        });
        Assert.Equal(drawn.Count, drawn.Distinct().Count());

        // Random bits everywhere else: across hundreds of IDs, every hex digit outside the fixed ones varies.
        var texts = drawn.Select(id => id.ToString("N")).ToList();
        foreach (var position in Enumerable.Range(0, 32).Where(p => p is not 12 and not 16))
        {
            Assert.True(texts.Select(t => t[position]).Distinct().Count() > 4, $"digit {position} barely varies");
        }
    }

    [Fact]
    public void UsePlatformGenerator_TakesOverAtTheNextBlock_IdsStayRandomVersion4()
    {
        using var ids = new EventIds();
        var drawn = new List<Guid> { ids.Next() };
        ids.UsePlatformGenerator();

        // The block already drawn is spent first; the platform's generator serves from the next one on.
        drawn.AddRange(Enumerable.Range(1, EventIds.IdsPerBlock - 1).Select(_ => ids.Next()));
        Assert.False(ids.UsesPlatformGenerator);
        drawn.AddRange(Enumerable.Range(0, EventIds.PlatformIdsPerBlock * 2 + 1).Select(_ => ids.Next()));
        Assert.True(ids.UsesPlatformGenerator);

        Assert.All(drawn, id =>
        {
            Assert.Equal(4, id.Version);
            Assert.InRange(id.Variant, 0x8, 0xB);
        });
        Assert.Equal(drawn.Count, drawn.Distinct().Count());
        var fromPlatform = drawn.Skip(EventIds.IdsPerBlock).Select(id => id.ToString("N")).ToList();
        foreach (var position in Enumerable.Range(0, 32).Where(p => p is not 12 and not 16))
        {
            Assert.True(fromPlatform.Select(t => t[position]).Distinct().Count() > 4, $"digit {position} barely varies");
        }
    }
}
