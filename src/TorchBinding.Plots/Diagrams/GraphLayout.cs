namespace TorchBinding.Plots.Diagrams;

/// <summary>How a graph's nodes are placed.</summary>
public enum GraphLayout
{
    /// <summary>Spring for undirected diagrams of more than 3 nodes; else layered for graphs without cycles or self-loops, else circular.</summary>
    Auto,
    /// <summary>Layers by longest path from the sources (a computation graph reads left to right).</summary>
    Layered,
    /// <summary>Nodes on a circle (state machines, Markov chains, attention graphs).</summary>
    Circular,
    /// <summary>A spring layout (Kamada–Kawai's model: graph distances as rest lengths) from a fixed seed: molecules, networks, any undirected graph.</summary>
    Spring,
}
