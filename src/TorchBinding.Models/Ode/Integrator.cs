using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Ode;

/// <summary>
/// One integration of dy/dt = f(t, y) from <c>times[0]</c> through every later requested time (increasing or
/// decreasing). All arithmetic is tensor arithmetic, so gradients flow through the solver when y0 or f's
/// parameters require them; step-size decisions are made on plain numbers and are not differentiated.
/// Each step runs in its own dispose scope: only the state, the reused stage and the outputs outlive it.
/// </summary>
internal sealed class Integrator
{
    readonly OdeFunction _f;
    readonly OdeOptions _options;
    readonly long[] _shape;
    readonly ScalarType _dtype;
    int _evaluations;
    int _steps;
    int _rejected;

    Integrator(OdeFunction f, Tensor y0, OdeOptions options)
    {
        _f = f;
        _options = options;
        _shape = y0.shape;
        _dtype = y0.dtype;
    }

    /// <summary>Integrates and returns the trajectory [T, ...y0.shape] (row 0 is y0) with the counts.</summary>
    public static (Tensor Trajectory, SolverStatistics Statistics) Run(OdeFunction f, Tensor y0, IReadOnlyList<double> times, OdeOptions options)
    {
        var integrator = new Integrator(f, y0, options);
        var outputs = options.Method == OdeMethod.Dopri5 ? integrator.Dopri5(y0, times) : integrator.FixedSteps(y0, times);
        var trajectory = stack(outputs);
        foreach (var output in outputs)
            if (!ReferenceEquals(output, y0))
                output.Dispose();
        return (trajectory, new SolverStatistics(integrator._evaluations, integrator._steps, integrator._rejected));
    }

    /// <summary>f(t, y), counted, with its result checked against the state's shape and dtype.</summary>
    Tensor F(double t, Tensor y)
    {
        var result = _f(t, y) ?? throw new InvalidOperationException($"The ODE function returned null at t = {t}.");
        _evaluations++;
        if (result.dtype != _dtype || !result.shape.AsSpan().SequenceEqual(_shape))
            throw new InvalidOperationException(
                $"The ODE function must return dy/dt with the state's shape {Shapes.Format(_shape)} and dtype {_dtype}; " +
                $"at t = {t} it returned {Shapes.Format(result)} {result.dtype}.");
        return result;
    }

    void CountStep()
    {
        if (_steps + _rejected >= _options.MaxSteps)
            throw new InvalidOperationException(
                $"The ODE solver ({_options.Method}) reached OdeOptions.MaxSteps = {_options.MaxSteps} steps; the problem may be stiff, " +
                "the tolerances too tight, or the fixed step too small for the interval.");
    }

    List<Tensor> FixedSteps(Tensor y0, IReadOnlyList<double> times)
    {
        var outputs = new List<Tensor>(times.Count) { y0 };
        var y = y0;
        for (var i = 1; i < times.Count; i++)
        {
            var interval = times[i] - times[i - 1];
            var count = _options.StepSize is { } h ? Math.Max(1, (int)Math.Ceiling(Math.Abs(interval) / h - 1e-9)) : 1;
            for (var s = 0; s < count; s++)
            {
                CountStep();
                var t = times[i - 1] + interval * s / count;
                var step = s == count - 1 ? times[i] - t : interval / count;
                Tensor next;
                using (var scope = NewDisposeScope())
                {
                    next = (_options.Method == OdeMethod.Euler ? EulerStep(t, y, step) : Rk4Step(t, y, step)).MoveToOuterDisposeScope();
                }
                _steps++;
                if (!ReferenceEquals(y, y0) && s > 0)
                    y.Dispose(); // an intermediate state (states at requested times are outputs)
                y = next;
            }
            outputs.Add(y);
        }
        return outputs;
    }

    Tensor EulerStep(double t, Tensor y, double h) => y.add(F(t, y), alpha: h);

    Tensor Rk4Step(double t, Tensor y, double h)
    {
        var k1 = F(t, y);
        var k2 = F(t + h / 2, y.add(k1, alpha: h / 2));
        var k3 = F(t + h / 2, y.add(k2, alpha: h / 2));
        var k4 = F(t + h, y.add(k3, alpha: h));
        return y.add(k1.add(k2, alpha: 2).add_(k3, alpha: 2).add_(k4), alpha: h / 6);
    }

    List<Tensor> Dopri5(Tensor y0, IReadOnlyList<double> times)
    {
        var outputs = new List<Tensor>(times.Count) { y0 };
        if (times.Count == 1)
            return outputs;
        var direction = Math.Sign(times[^1] - times[0]);
        var end = times[^1];
        var t = times[0];
        var y = y0;
        var k1 = F(t, y0).DetachFromDisposeScope();
        var h = direction * Math.Min(_options.StepSize ?? InitialStep(t, y0, k1, direction), Math.Abs(end - t));
        var next = 1;
        var lastRejected = false;
        while (next < times.Count)
        {
            CountStep();
            var lands = direction * (t + h - end) >= 0;
            if (lands)
                h = end - t;
            var tNew = lands ? end : t + h;
            double error;
            Tensor? yNew = null, kNew = null;
            using (var scope = NewDisposeScope())
            {
                var (k, y1) = Dopri5Stages(t, y, k1, h, tNew);
                error = ErrorRatio(k, y, y1, h);
                if (error <= 1)
                {
                    while (next < times.Count && direction * (times[next] - tNew) <= 0)
                    {
                        outputs.Add((times[next] == tNew ? y1.alias() : Interpolate(k, y, y1, h, (times[next] - t) / h)).MoveToOuterDisposeScope());
                        next++;
                    }
                    yNew = y1.MoveToOuterDisposeScope();
                    kNew = k[6].MoveToOuterDisposeScope();
                }
            }
            if (yNew is not null)
            {
                _steps++;
                if (!ReferenceEquals(y, y0))
                    y.Dispose();
                k1.Dispose();
                (t, y, k1) = (tNew, yNew, kNew!);
                var factor = error == 0 ? 10 : Math.Clamp(0.9 * Math.Pow(error, -0.2), 0.2, 10);
                h *= lastRejected ? Math.Min(1, factor) : factor;
                lastRejected = false;
            }
            else
            {
                _rejected++;
                h *= double.IsFinite(error) ? Math.Clamp(0.9 * Math.Pow(error, -0.2), 0.2, 1) : 0.2;
                lastRejected = true;
            }
            if (next < times.Count && Math.Abs(h) <= 1e-14 * Math.Max(1, Math.Abs(t)))
                throw new InvalidOperationException(
                    $"The dopri5 step size underflowed ({Math.Abs(h):G3}) at t = {t}: the solution may blow up there or the ODE function return non-finite values.");
        }
        if (!ReferenceEquals(y, y0))
            y.Dispose();
        k1.Dispose();
        return outputs;
    }

    /// <summary>
    /// One Dormand–Prince step from (t, y) with first stage k1 = f(t, y): the seven stages and the 5th-order
    /// solution. Stage s evaluates f at y + h·Σ A[s][j]·k[j]; the last stage's argument is the 5th-order solution
    /// itself, so its evaluation is the next step's first (FSAL).
    /// </summary>
    (Tensor[] K, Tensor Y1) Dopri5Stages(double t, Tensor y, Tensor k1, double h, double tNew)
    {
        var k = new Tensor[7];
        k[0] = k1;
        var y1 = y;
        for (var s = 1; s < 7; s++)
        {
            var stage = y;
            for (var j = 0; j < s; j++)
                if (Dopri5Tableau.A[s][j] != 0)
                    stage = stage.add(k[j], alpha: h * Dopri5Tableau.A[s][j]);
            k[s] = F(s == 6 ? tNew : t + Dopri5Tableau.C[s] * h, stage);
            if (s == 6)
                y1 = stage;
        }
        return (k, y1);
    }

    /// <summary>
    /// For tests of the scheme's order: <paramref name="steps"/> equal dopri5 steps from t0 to t1 without error
    /// control; returns the end state, the largest error ratio seen, and the dense output at the middle of the first step.
    /// </summary>
    internal static (Tensor End, double LargestErrorRatio, Tensor FirstMidpoint) Dopri5Fixed(OdeFunction f, Tensor y0, double t0, double t1, int steps, OdeOptions options)
    {
        var integrator = new Integrator(f, y0, options);
        var h = (t1 - t0) / steps;
        var y = y0;
        Tensor? midpoint = null;
        var largest = 0.0;
        for (var i = 0; i < steps; i++)
        {
            var t = t0 + i * h;
            var (k, y1) = integrator.Dopri5Stages(t, y, integrator.F(t, y), h, t + h);
            largest = Math.Max(largest, integrator.ErrorRatio(k, y, y1, h));
            midpoint ??= Interpolate(k, y, y1, h, 0.5);
            y = y1;
        }
        return (y, largest, midpoint!);
    }

    /// <summary>RMS over all elements of the embedded error estimate scaled by atol + rtol·max(|y|, |y1|).</summary>
    double ErrorRatio(Tensor[] k, Tensor y, Tensor y1, double h)
    {
        using var noGrad = no_grad();
        var estimate = k[0].mul(h * Dopri5Tableau.E[0]);
        for (var j = 2; j < 7; j++)
            estimate = estimate.add_(k[j], alpha: h * Dopri5Tableau.E[j]);
        var scale = y.abs().maximum(y1.abs()).mul_(_options.RelativeTolerance).add_(_options.AbsoluteTolerance);
        var ratio = estimate.div_(scale).pow_(2).mean().sqrt_().ToDouble();
        return double.IsNaN(ratio) ? double.PositiveInfinity : ratio;
    }

    /// <summary>Hairer's 4th-order continuous extension of the step from y (at θ = 0) to y1 (at θ = 1).</summary>
    static Tensor Interpolate(Tensor[] k, Tensor y, Tensor y1, double h, double theta)
    {
        var difference = y1 - y;
        var b = k[0].mul(h).sub_(difference);
        var c = difference.add(k[6], alpha: -h).sub_(b);
        var d = k[0].mul(h * Dopri5Tableau.D[0]);
        for (var j = 2; j < 7; j++)
            d = d.add_(k[j], alpha: h * Dopri5Tableau.D[j]);
        // y + θ(Δ + (1 − θ)(b + θ(c + (1 − θ)d)))
        var inner = c.add(d, alpha: 1 - theta).mul_(theta).add_(b).mul_(1 - theta).add_(difference);
        return y.add(inner, alpha: theta);
    }

    /// <summary>The starting step of Hairer, Nørsett &amp; Wanner (Solving ODEs I, II.4) for an order-5 pair.</summary>
    double InitialStep(double t0, Tensor y0, Tensor f0, int direction)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var scale = y0.abs().mul(_options.RelativeTolerance).add_(_options.AbsoluteTolerance);
        double Rms(Tensor x) => x.div(scale).pow_(2).mean().sqrt_().ToDouble();
        var d0 = Rms(y0);
        var d1 = Rms(f0);
        var h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
        var f1 = F(t0 + direction * h0, y0.add(f0, alpha: direction * h0));
        var d2 = Rms(f1 - f0) / h0;
        var largest = Math.Max(d1, d2);
        var h1 = largest <= 1e-15 ? Math.Max(1e-6, h0 * 1e-3) : Math.Pow(0.01 / largest, 1.0 / 5);
        var h = Math.Min(100 * h0, h1);
        return double.IsFinite(h) && h > 0 ? h : 1e-6;
    }
}
