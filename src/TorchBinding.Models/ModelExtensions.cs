using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace TorchBinding.Models;

/// <summary>What a lecture asks of any model: its size, a named layer (for hooks), a one-screen summary.</summary>
public static class ModelExtensions
{
    /// <summary>
    /// The number of learned values: the elements of every parameter tensor. Buffers such as batch norm's running
    /// mean and variance are not parameters and are not counted (as in PyTorch's <c>sum(p.numel() for p in model.parameters())</c>).
    /// </summary>
    /// <param name="module">The model or any of its layers.</param>
    /// <param name="trainableOnly">Count only parameters that require a gradient (frozen layers excluded).</param>
    public static long ParameterCount(this nn.Module module, bool trainableOnly = false)
    {
        ArgumentNullException.ThrowIfNull(module);
        long count = 0;
        foreach (var parameter in module.parameters())
        {
            if (!trainableOnly || parameter.requires_grad)
                count += parameter.numel();
        }
        return count;
    }

    /// <summary>
    /// The layer of <paramref name="module"/> with the dotted name that <c>named_modules()</c> gives it (e.g.
    /// <c>conv2</c>, <c>layer2.1</c>, <c>enc3</c>): where to register a forward hook for feature maps or Grad-CAM.
    /// </summary>
    /// <exception cref="ArgumentException">No layer has that name; the message lists the names there are.</exception>
    public static nn.Module Layer(this nn.Module module, string name)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(name);
        var names = new List<string>();
        foreach (var (layerName, layer) in module.named_modules())
        {
            if (layerName == name)
                return layer;
            if (layerName.Length > 0)
                names.Add(layerName);
        }
        throw new ArgumentException($"{module.GetName()} has no layer '{name}'; its layers are: {string.Join(", ", names)}.", nameof(name));
    }

    /// <summary>The layer named <paramref name="name"/> as a <typeparamref name="TModule"/>, e.g. <c>model.Layer&lt;nn.Module&lt;Tensor, Tensor&gt;&gt;("conv2")</c> to register a forward hook.</summary>
    /// <exception cref="ArgumentException">No layer has that name, or it is of another type.</exception>
    public static TModule Layer<TModule>(this nn.Module module, string name) where TModule : nn.Module =>
        module.Layer(name) as TModule
        ?? throw new ArgumentException($"{module.GetName()}'s layer '{name}' is a {module.Layer(name).GetType().Name}, not a {typeof(TModule).Name}.", nameof(name));

    /// <summary>
    /// A table of the top-level layers with their type, parameter count and share of the total, then the total:
    /// where a network's parameters live (a lecture point: mostly in the first fully connected layer of a CNN).
    /// </summary>
    public static string Summary(this nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var total = module.ParameterCount();
        var rows = module.named_children().Select(c => (c.name, Type: c.module.GetType().Name.Split('`')[0], Count: c.module.ParameterCount())).ToList();
        var nameWidth = Math.Max(5, rows.Select(r => r.name.Length).DefaultIfEmpty(0).Max());
        var typeWidth = Math.Max(4, rows.Select(r => r.Type.Length).DefaultIfEmpty(0).Max());
        var culture = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(culture, $"{module.GetName()}");
        text.AppendLine(culture, $"  {"layer".PadRight(nameWidth)}  {"type".PadRight(typeWidth)}  {"parameters",12}  {"share",6}");
        foreach (var (name, type, count) in rows)
            text.AppendLine(culture, $"  {name.PadRight(nameWidth)}  {type.PadRight(typeWidth)}  {count,12:N0}  {(total > 0 ? 100.0 * count / total : 0),5:F1}%");
        text.Append(culture, $"  {"total".PadRight(nameWidth)}  {"".PadRight(typeWidth)}  {total,12:N0}");
        return text.ToString();
    }
}
