using System.CommandLine;
using Candor.CommandLine.Commands;
using Candor.CommandLine.Inspection;

namespace Candor.Tool.Commands;

/// <summary>The <c>--product</c> option every command takes, completing with the products this machine knows.</summary>
internal static class ProductOption
{
    public static Option<string?> Create(CandorMachine machine, string description) =>
        SharedOptions.Product(description, machine.Products);

    /// <summary>The products a command acts on: the one given, or every product this machine knows.</summary>
    public static IReadOnlyList<string> Selected(CandorMachine machine, string? product) =>
        product is null ? machine.Products() : [product];
}
