using TorchBinding.Plots.Diagrams;

namespace TorchBinding.Teaching.Autograd;

/// <summary>
/// Computation graphs drawn by TorchBinding.Plots: <c>GraphDiagram.From(e.ToGraph(), title)</c> (Plots itself knows
/// nothing of this library; the adapter lives here, beside the graph it adapts).
/// </summary>
public static class ComputationGraphDiagram
{
    extension(GraphDiagram)
    {
        /// <summary>
        /// A diagram of a <see cref="ComputationGraph"/> (an expression graph of <c>Value</c>, or a model's layer
        /// graph): values as circles, operations and modules as boxes, fields of a label ("c = a + b | data 3 | grad 2")
        /// on separate lines, edges with their labels.
        /// </summary>
        public static GraphDiagram From(ComputationGraph graph, string? title = null)
        {
            ArgumentNullException.ThrowIfNull(graph);
            var diagram = new GraphDiagram { Title = title };
            foreach (var node in graph.Nodes)
                diagram.AddNode(node.Id, string.Join("\n", node.Fields), node.Kind == GraphNodeKind.Value ? NodeShape.Circle : NodeShape.Box);
            foreach (var edge in graph.Edges)
                diagram.AddEdge(edge.From, edge.To, edge.Label);
            return diagram;
        }
    }
}
