using System.Text;

namespace Candor.Tests.Rooms;

/// <summary>
/// The SDK's folders are rooms: each namespace may use others, but no two may use each other, however indirectly.
/// Read from the compiled Candor.dll, so every use counts, whether a signature names it or a method body calls it.
/// </summary>
public sealed class NamespaceCycleTests
{
    private static readonly Lazy<NamespaceGraph> Sdk = new(() => NamespaceGraph.Read(typeof(CandorClient).Assembly.Location, "Candor"));

    [Fact]
    public void The_SDKs_namespaces_use_each_other_without_a_cycle()
    {
        var cycles = Cycles(Sdk.Value.Edges);

        Assert.True(cycles.Count == 0, "The SDK's namespaces have cycles:\n" + string.Join("\n", cycles.Select(c => Describe(c, Sdk.Value.Edges) + "\n  " + Inside(c, Sdk.Value.Edges))));
    }

    [Fact]
    public void The_reader_sees_uses_in_signatures_and_in_method_bodies()
    {
        var edges = Sdk.Value.Edges;

        // The client builds its pipeline (a body) and hands out the manifest (a signature).
        Assert.Contains("Candor.Tracking", edges["Candor"].Keys);
        Assert.Contains("Candor.Manifest", edges["Candor"].Keys);
    }

    [Fact]
    public void A_cycle_is_found_and_named_with_the_uses_that_make_it()
    {
        var edges = new Dictionary<string, Dictionary<string, string>>
        {
            ["A"] = new() { ["B"] = "A.X uses B.Y" },
            ["B"] = new() { ["C"] = "B.Y uses C.Z" },
            ["C"] = new() { ["A"] = "C.Z uses A.X" },
            ["D"] = new() { ["A"] = "D.W uses A.X" },
        };

        var cycle = Assert.Single(Cycles(edges));

        Assert.Equal(["A", "B", "C"], cycle);
        Assert.Equal("A -> B -> C -> A (A.X uses B.Y; B.Y uses C.Z; C.Z uses A.X)", Describe(cycle, edges));
    }

    /// <summary>One shortest cycle through each group of namespaces that reach each other (Tarjan's components).</summary>
    internal static List<List<string>> Cycles(Dictionary<string, Dictionary<string, string>> edges)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var cycles = new List<List<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            foreach (var next in Next(edges, node))
            {
                if (!index.ContainsKey(next))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (stack.Contains(next) && index.TryGetValue(next, out var reached))
                {
                    low[node] = Math.Min(low[node], reached);
                }
            }

            if (low[node] != index[node])
            {
                return;
            }

            var component = new HashSet<string>();
            string member;
            do
            {
                member = stack.Pop();
                component.Add(member);
            }
            while (member != node);

            if (component.Count > 1)
            {
                cycles.Add(ShortestCycle(edges, component.Min(StringComparer.Ordinal)!, component));
            }
        }

        foreach (var node in edges.Keys.Order(StringComparer.Ordinal))
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return cycles;
    }

    internal static string Describe(List<string> cycle, Dictionary<string, Dictionary<string, string>> edges)
    {
        var text = new StringBuilder(string.Join(" -> ", cycle)).Append(" -> ").Append(cycle[0]).Append(" (");
        for (var i = 0; i < cycle.Count; i++)
        {
            text.Append(i > 0 ? "; " : "").Append(edges[cycle[i]][cycle[(i + 1) % cycle.Count]]);
        }

        return text.Append(')').ToString();
    }

    // Every use between the namespaces of a cycle's component, so one failure names all there is to untangle.
    private static string Inside(List<string> cycle, Dictionary<string, Dictionary<string, string>> edges)
    {
        var component = Reaching(edges, cycle[0]);
        return "in the same tangle: " + string.Join("; ", component.Order(StringComparer.Ordinal)
            .SelectMany(from => Next(edges, from).Where(component.Contains).Select(to => $"{from} -> {to} ({edges[from][to]})")));
    }

    // The namespaces that cycle[0] reaches and that reach it back.
    private static HashSet<string> Reaching(Dictionary<string, Dictionary<string, string>> edges, string start)
    {
        HashSet<string> From(Func<string, IEnumerable<string>> next)
        {
            var seen = new HashSet<string> { start };
            var queue = new Queue<string>([start]);
            while (queue.Count > 0)
            {
                foreach (var n in next(queue.Dequeue()).Where(seen.Add))
                {
                    queue.Enqueue(n);
                }
            }

            return seen;
        }

        var forward = From(n => Next(edges, n));
        forward.IntersectWith(From(n => edges.Keys.Where(k => edges[k].ContainsKey(n))));
        return forward;
    }

    // Breadth first from start back to it, within the component.
    private static List<string> ShortestCycle(Dictionary<string, Dictionary<string, string>> edges, string start, HashSet<string> component)
    {
        var previous = new Dictionary<string, string>();
        var queue = new Queue<string>([start]);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            foreach (var next in Next(edges, node).Where(component.Contains))
            {
                if (next == start)
                {
                    var path = new List<string> { node };
                    while (path[^1] != start)
                    {
                        path.Add(previous[path[^1]]);
                    }

                    path.Reverse();
                    return path;
                }

                if (previous.TryAdd(next, node))
                {
                    queue.Enqueue(next);
                }
            }
        }

        throw new InvalidOperationException("a component of more than one node has a cycle through each node");
    }

    private static IEnumerable<string> Next(Dictionary<string, Dictionary<string, string>> edges, string node) =>
        edges.TryGetValue(node, out var uses) ? uses.Keys.Order(StringComparer.Ordinal) : [];
}
