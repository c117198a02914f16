namespace TorchBinding.Plots.Diagrams;

/// <summary>How a node is drawn.</summary>
public enum NodeShape
{
    /// <summary>A circle around the label.</summary>
    Circle,
    /// <summary>A rounded box around the label.</summary>
    Box,
}
