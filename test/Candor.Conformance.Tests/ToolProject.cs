namespace Candor.Conformance.Tests;

/// <summary>A tool author's project, written outside the repository so that none of its build settings apply.</summary>
internal static class ToolProject
{
    /// <summary>
    /// Writes <paramref name="name"/>'s project in <paramref name="root"/>/<paramref name="name"/>: an executable for
    /// .NET 10 with the manifest as <c>candor.json</c>, the program, and <paramref name="projectXml"/> inside its
    /// <c>Project</c> element. Returns its folder.
    /// </summary>
    public static string Write(string root, string name, string manifest, string program, string projectXml)
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(root, "Directory.Packages.props"), "<Project />");
        File.WriteAllText(Path.Combine(folder, "candor.json"), manifest);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), program);
        File.WriteAllText(Path.Combine(folder, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <AssemblyName>{name}</AssemblyName>
              </PropertyGroup>
            {projectXml}
            </Project>
            """);
        return folder;
    }
}
