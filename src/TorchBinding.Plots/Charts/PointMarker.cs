namespace TorchBinding.Plots.Charts;

/// <summary>The shape of a group's markers in a scatter or decision-boundary chart.</summary>
public enum PointMarker
{
    /// <summary>A filled circle with a thin white rim (the default for data).</summary>
    Circle,

    /// <summary>A bold ×, e.g. for centroids or codebook vectors drawn over data.</summary>
    Cross,

    /// <summary>A filled square with a thin white rim.</summary>
    Square,

    /// <summary>A filled triangle with a thin white rim.</summary>
    Triangle,

    /// <summary>A filled diamond with a thin white rim.</summary>
    Diamond,
}
