namespace TorchBinding.Data.Synthetic;

/// <summary>How the two truth values are written in the inputs and targets of <see cref="LogicGates"/>.</summary>
public enum BinaryEncoding
{
    /// <summary>false = 0, true = 1: for sigmoid outputs.</summary>
    ZeroOne,

    /// <summary>false = -1, true = +1: for tanh outputs (and inputs centred on 0).</summary>
    PlusMinusOne,
}
