namespace TorchBinding.Models.Reinforcement;

/// <summary>
/// Cart-pole balancing with Gymnasium's <c>CartPole-v1</c> dynamics (Barto, Sutton &amp; Anderson 1983): a pole hinged
/// on a cart on a track; actions push the cart left (0) or right (1) with 10 N. Observation
/// [x, ẋ, θ, θ̇]; reward 1 for every step, the terminating one included; the episode terminates when |x| &gt; 2.4
/// or |θ| &gt; 12°, and is truncated after 500 steps (v1; <c>CartPole-v0</c> used 200). Reset: all four state
/// variables ~ U(−0.05, 0.05). Physics per step (τ = 0.02 s, explicit Euler, gravity 9.8, cart mass 1.0, pole
/// mass 0.1, half pole length 0.5):
/// <code>
/// temp = (F + m_p·l·θ̇²·sin θ) / (m_c + m_p)
/// θ̈ = (g·sin θ − cos θ·temp) / (l·(4/3 − m_p·cos²θ / (m_c + m_p)))
/// ẍ = temp − m_p·l·θ̈·cos θ / (m_c + m_p)
/// x ← x + τ·ẋ,  ẋ ← ẋ + τ·ẍ,  θ ← θ + τ·θ̇,  θ̇ ← θ̇ + τ·θ̈
/// </code>
/// Gymnasium returns the observation as float32; here it is the float64 state itself.
/// </summary>
public sealed class CartPoleEnvironment : DiscreteEnvironment
{
    /// <summary>Gravity.</summary>
    public const double Gravity = 9.8;

    /// <summary>The cart's mass.</summary>
    public const double CartMass = 1.0;

    /// <summary>The pole's mass.</summary>
    public const double PoleMass = 0.1;

    /// <summary>Half the pole's length.</summary>
    public const double HalfLength = 0.5;

    /// <summary>The push's magnitude.</summary>
    public const double ForceMagnitude = 10.0;

    /// <summary>Seconds per step.</summary>
    public const double Tau = 0.02;

    /// <summary>|x| beyond which the episode terminates.</summary>
    public const double PositionLimit = 2.4;

    /// <summary>|θ| beyond which the episode terminates: 12° in radians.</summary>
    public const double AngleLimit = 12 * 2 * Math.PI / 360;

    readonly double[] _state = new double[4];

    /// <summary>Cart-pole with a time limit of 500 steps (v1) or another (200 for v0).</summary>
    /// <param name="maxEpisodeSteps">The time limit (null: none).</param>
    public CartPoleEnvironment(int? maxEpisodeSteps = 500)
        : base("CartPole", ["push left", "push right"], 4, maxEpisodeSteps)
    {
    }

    /// <summary>The state [x, ẋ, θ, θ̇] (a copy).</summary>
    public double[] State => (double[])_state.Clone();

    /// <inheritdoc/>
    protected override void ResetState(Random random)
    {
        for (var i = 0; i < 4; i++)
            _state[i] = -0.05 + 0.1 * random.NextDouble();
    }

    /// <inheritdoc/>
    protected override (double Reward, bool Terminated) Advance(int action)
    {
        var (x, xDot, theta, thetaDot) = (_state[0], _state[1], _state[2], _state[3]);
        var force = action == 1 ? ForceMagnitude : -ForceMagnitude;
        var (cos, sin) = (Math.Cos(theta), Math.Sin(theta));
        const double totalMass = CartMass + PoleMass, poleMassLength = PoleMass * HalfLength;
        var temp = (force + poleMassLength * thetaDot * thetaDot * sin) / totalMass;
        var thetaAcc = (Gravity * sin - cos * temp) / (HalfLength * (4.0 / 3.0 - PoleMass * cos * cos / totalMass));
        var xAcc = temp - poleMassLength * thetaAcc * cos / totalMass;
        _state[0] = x + Tau * xDot;
        _state[1] = xDot + Tau * xAcc;
        _state[2] = theta + Tau * thetaDot;
        _state[3] = thetaDot + Tau * thetaAcc;
        var terminated = _state[0] < -PositionLimit || _state[0] > PositionLimit || _state[2] < -AngleLimit || _state[2] > AngleLimit;
        return (1.0, terminated);
    }

    /// <inheritdoc/>
    protected override double[] Observe() => State;
}
