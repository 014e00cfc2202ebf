using Microsoft.Playwright;

namespace Candor.Dashboard.Tests;

/// <summary>
/// Saves what a test's page looks like into docs/dashboard/, for docs/dashboard.md: the whole page at 1280 px,
/// and the first screen of a phone (375 by 812 px).
/// </summary>
internal static class Screenshots
{
    private static readonly string Folder = Path.Combine(RepositoryRoot(), "docs", "dashboard");

    public static async Task TakeAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        var original = page.ViewportSize!;
        foreach (var (width, height) in new[] { (1280, 900), (375, 812) })
        {
            await page.SetViewportSizeAsync(width, height);
            if (await page.Locator("canvas[data-chart]").CountAsync() > 0)
            {
                // Charts size themselves when drawn: draw them again at this width.
                await page.ReloadAsync();
                await page.Locator("body[data-charts-drawn]").WaitForAsync();
            }

            await page.ScreenshotAsync(new PageScreenshotOptions
            {
                Path = Path.Combine(Folder, $"{name}-{width}.png"),
                FullPage = width > 375,
            });
        }

        await page.SetViewportSizeAsync(original.Width, original.Height);
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Candor.slnx")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("the test does not run inside the repository");
    }
}
