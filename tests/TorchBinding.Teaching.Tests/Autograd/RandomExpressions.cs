using TorchBinding.Teaching.Autograd;
using static TorchSharp.torch;

namespace TorchBinding.Teaching.Tests.Autograd;

/// <summary>
/// Random expression trees over a few variables, evaluated three ways: with <see cref="Value"/>, with <see cref="Dual"/>,
/// and with float64 tensors. The generator keeps every operation in its domain: logs and fractional powers of
/// <c>u² + c</c> (c &gt; 0), divisions by <c>u² + c</c>, exponentials of <c>tanh(u)</c>.
/// </summary>
abstract record Expression
{
    public sealed record Variable(int Index) : Expression;

    public sealed record Constant(double C) : Expression;

    /// <summary>a op b for op in + − × ÷.</summary>
    public sealed record Binary(char Op, Expression A, Expression B) : Expression;

    /// <summary>op(a) for op in neg, pow (exponent K), exp, log, tanh, sigmoid, relu.</summary>
    public sealed record Unary(string Op, Expression A, double K = 0) : Expression;

    public static Expression Random(Random random, int variables, int depth)
    {
        if (depth == 0 || random.NextDouble() < 0.2)
        {
            return random.NextDouble() < 0.75
                ? new Variable(random.Next(variables))
                : new Constant(Math.Round(random.NextDouble() * 4 - 2, 3) is var c && c != 0 ? c : 0.5);
        }
        Expression Sub() => Random(random, variables, depth - 1);
        Expression Positive(Expression e, double c) => new Binary('+', new Unary("pow", e, 2), new Constant(c));
        return random.Next(13) switch
        {
            0 => new Binary('+', Sub(), Sub()),
            1 => new Binary('-', Sub(), Sub()),
            2 => new Binary('*', Sub(), Sub()),
            3 => new Binary('/', Sub(), Positive(Sub(), 0.5 + random.NextDouble())),
            4 => new Unary("pow", Sub(), random.Next(2, 4)),
            5 => new Unary("pow", Positive(Sub(), 1), random.NextDouble() < 0.5 ? 0.5 : -1.5),
            6 => new Unary("exp", new Unary("tanh", Sub())),
            7 => new Unary("log", Positive(Sub(), 0.25 + random.NextDouble())),
            8 => new Unary("tanh", Sub()),
            9 => new Unary("sigmoid", Sub()),
            10 => new Unary("relu", Sub()),
            11 => new Unary("neg", Sub()),
            // A constant operand on either side, through the double overloads.
            _ => random.NextDouble() < 0.5
                ? new Binary("+-*"[random.Next(3)], new Constant(1.5), Sub())
                : new Binary("+-*"[random.Next(3)], Sub(), new Constant(-0.75)),
        };
    }

    public Value Evaluate(Value[] x) => this switch
    {
        Variable v => x[v.Index],
        Constant c => c.C,
        Binary { A: Constant a } b => b.Op switch
        {
            '+' => a.C + b.B.Evaluate(x),
            '-' => a.C - b.B.Evaluate(x),
            '*' => a.C * b.B.Evaluate(x),
            _ => a.C / b.B.Evaluate(x),
        },
        Binary { B: Constant c } b => b.Op switch
        {
            '+' => b.A.Evaluate(x) + c.C,
            '-' => b.A.Evaluate(x) - c.C,
            '*' => b.A.Evaluate(x) * c.C,
            _ => b.A.Evaluate(x) / c.C,
        },
        Binary b => b.Op switch
        {
            '+' => b.A.Evaluate(x) + b.B.Evaluate(x),
            '-' => b.A.Evaluate(x) - b.B.Evaluate(x),
            '*' => b.A.Evaluate(x) * b.B.Evaluate(x),
            _ => b.A.Evaluate(x) / b.B.Evaluate(x),
        },
        Unary u => u.Op switch
        {
            "neg" => -u.A.Evaluate(x),
            "pow" => u.A.Evaluate(x).Pow(u.K),
            "exp" => u.A.Evaluate(x).Exp(),
            "log" => u.A.Evaluate(x).Log(),
            "tanh" => u.A.Evaluate(x).Tanh(),
            "sigmoid" => u.A.Evaluate(x).Sigmoid(),
            _ => u.A.Evaluate(x).Relu(),
        },
        _ => throw new InvalidOperationException(),
    };

    public Dual Evaluate(Dual[] x) => this switch
    {
        Variable v => x[v.Index],
        Constant c => c.C,
        Binary b => b.Op switch
        {
            '+' => b.A.Evaluate(x) + b.B.Evaluate(x),
            '-' => b.A.Evaluate(x) - b.B.Evaluate(x),
            '*' => b.A.Evaluate(x) * b.B.Evaluate(x),
            _ => b.A.Evaluate(x) / b.B.Evaluate(x),
        },
        Unary u => u.Op switch
        {
            "neg" => -u.A.Evaluate(x),
            "pow" => u.A.Evaluate(x).Pow(u.K),
            "exp" => u.A.Evaluate(x).Exp(),
            "log" => u.A.Evaluate(x).Log(),
            "tanh" => u.A.Evaluate(x).Tanh(),
            "sigmoid" => u.A.Evaluate(x).Sigmoid(),
            _ => u.A.Evaluate(x).Relu(),
        },
        _ => throw new InvalidOperationException(),
    };

    public Tensor Evaluate(Tensor[] x) => this switch
    {
        Variable v => x[v.Index],
        Constant c => tensor(c.C, float64),
        Binary b => b.Op switch
        {
            '+' => b.A.Evaluate(x) + b.B.Evaluate(x),
            '-' => b.A.Evaluate(x) - b.B.Evaluate(x),
            '*' => b.A.Evaluate(x) * b.B.Evaluate(x),
            _ => b.A.Evaluate(x) / b.B.Evaluate(x),
        },
        Unary u => u.Op switch
        {
            "neg" => -u.A.Evaluate(x),
            "pow" => u.A.Evaluate(x).pow(u.K),
            "exp" => u.A.Evaluate(x).exp(),
            "log" => u.A.Evaluate(x).log(),
            "tanh" => u.A.Evaluate(x).tanh(),
            "sigmoid" => u.A.Evaluate(x).sigmoid(),
            _ => u.A.Evaluate(x).relu(),
        },
        _ => throw new InvalidOperationException(),
    };
}
