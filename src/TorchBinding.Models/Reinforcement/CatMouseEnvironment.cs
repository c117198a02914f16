namespace TorchBinding.Models.Reinforcement;

/// <summary>How a cat-and-mouse episode ended.</summary>
public enum CatMouseOutcome
{
    /// <summary>The episode is still running.</summary>
    Running,

    /// <summary>The mouse left the pond where the cat could not reach it in one step.</summary>
    Escaped,

    /// <summary>The mouse reached the rim within the cat's reach.</summary>
    Caught,

    /// <summary>The time ran out (the mouse "drowned").</summary>
    Drowned,
}

/// <summary>
/// The course's cat-and-mouse puzzle (RL-MagLev, <c>cat_mouse.ipynb</c>): a mouse swims in a round pond of radius
/// R = 1 and must reach the rim where a cat, running on the rim 3.5 times faster, cannot catch it. Actions 0..7
/// move the mouse 0.05 in direction action·45°. After the mouse moves, the cat runs m·d/R radians (m = 3.5) towards
/// the mouse's angle, the short way round. When the mouse crosses the rim, it is caught if its crossing point is
/// nearer to the cat's old position than the cat's step. The episode ends when the mouse is out, or when
/// t ≥ T − 1 (T = 500). Observation [r_mouse, (t + 1)/T, x_m − x_c, y_m − y_c]. Reward, with booleans as 0/1:
/// 3·success + |mouse − cat| + health + outside + not_eaten + not_eaten·outside, where health = 1 − (t + 1)/T and
/// success = (health ≥ 1/T)·outside·not_eaten. Reset: r ~ U(0, 1), θ ~ U(−π, π), the cat's angle ~ U(−π, π).
/// </summary>
public sealed class CatMouseEnvironment : DiscreteEnvironment
{
    /// <summary>The pond's radius.</summary>
    public const double Radius = 1.0;

    /// <summary>The course's environment: cat speed ratio 3.5, mouse step 0.05, time limit 500.</summary>
    /// <param name="speedRatio">How much faster the cat is than the mouse (the course: 3.5).</param>
    /// <param name="mouseStep">How far the mouse swims per step (the course: 0.05).</param>
    /// <param name="timeLimit">T: the episode ends at t ≥ T − 1 (the course: 500).</param>
    public CatMouseEnvironment(double speedRatio = 3.5, double mouseStep = 0.05, int timeLimit = 500)
        : base("CatMouse", Enumerable.Range(0, 8).Select(a => $"swim {a * 45}°").ToArray(), 4, maxEpisodeSteps: null)
    {
        if (!(speedRatio > 0) || !double.IsFinite(speedRatio))
            throw new ArgumentOutOfRangeException(nameof(speedRatio), speedRatio, "CatMouse: the speed ratio must be a positive number.");
        if (!(mouseStep > 0) || !(mouseStep < Radius))
            throw new ArgumentOutOfRangeException(nameof(mouseStep), mouseStep, $"CatMouse: the mouse's step must be in (0, {Radius}).");
        if (timeLimit < 2)
            throw new ArgumentOutOfRangeException(nameof(timeLimit), timeLimit, "CatMouse: the time limit must be at least 2 steps.");
        SpeedRatio = speedRatio;
        MouseStep = mouseStep;
        TimeLimit = timeLimit;
    }

    /// <summary>How much faster the cat is than the mouse.</summary>
    public double SpeedRatio { get; }

    /// <summary>How far the mouse swims per step.</summary>
    public double MouseStep { get; }

    /// <summary>T, the time limit.</summary>
    public int TimeLimit { get; }

    /// <summary>The mouse's position.</summary>
    public (double X, double Y) Mouse { get; private set; }

    /// <summary>The cat's angle on the rim (radians; it is not wrapped).</summary>
    public double CatAngle { get; private set; }

    /// <summary>The cat's position on the rim.</summary>
    public (double X, double Y) Cat => (Radius * Math.Cos(CatAngle), Radius * Math.Sin(CatAngle));

    /// <summary>The mouse's distance from the centre.</summary>
    public double MouseRadius => Math.Sqrt(Mouse.X * Mouse.X + Mouse.Y * Mouse.Y);

    /// <summary>Whether the cat caught the mouse at the rim.</summary>
    public bool Caught { get; private set; }

    /// <summary>The episode's outcome so far.</summary>
    public CatMouseOutcome Outcome { get; private set; }

    /// <summary>Starts an episode from a chosen position (the course's test: the mouse at the centre, the cat anywhere).</summary>
    /// <param name="mouseRadius">The mouse's distance from the centre, in [0, R].</param>
    /// <param name="mouseAngle">The mouse's angle.</param>
    /// <param name="catAngle">The cat's angle.</param>
    /// <returns>The first observation.</returns>
    public double[] ResetTo(double mouseRadius, double mouseAngle, double catAngle)
    {
        if (!(mouseRadius >= 0 && mouseRadius <= Radius))
            throw new ArgumentOutOfRangeException(nameof(mouseRadius), mouseRadius, $"CatMouse: the mouse must start in the pond (radius 0..{Radius}).");
        if (!double.IsFinite(mouseAngle) || !double.IsFinite(catAngle))
            throw new ArgumentException($"CatMouse: the angles must be finite, got {mouseAngle} and {catAngle}.");
        Begin();
        Place(mouseRadius, mouseAngle, catAngle);
        return Observe();
    }

    /// <inheritdoc/>
    protected override void ResetState(Random random)
    {
        var r = Radius * random.NextDouble();
        var theta = Math.PI * (2 * random.NextDouble() - 1);
        Place(r, theta, Math.PI * (2 * random.NextDouble() - 1));
    }

    void Place(double r, double theta, double catAngle)
    {
        Mouse = (r * Math.Cos(theta), r * Math.Sin(theta));
        CatAngle = catAngle;
        Caught = false;
        Outcome = CatMouseOutcome.Running;
    }

    /// <inheritdoc/>
    protected override (double Reward, bool Terminated) Advance(int action)
    {
        var direction = action * 2 * Math.PI / ActionCount;
        Mouse = (Mouse.X + MouseStep * Math.Cos(direction), Mouse.Y + MouseStep * Math.Sin(direction));
        var r = MouseRadius;
        var mouseAngle = Math.Atan2(Mouse.Y, Mouse.X);
        // The cat runs towards the mouse's angle the short way round (the wrapped difference's sign).
        var side = Math.Atan2(Math.Sin(mouseAngle - CatAngle), Math.Cos(mouseAngle - CatAngle)) > 0 ? 1 : -1;
        var newCatAngle = CatAngle + side * SpeedRatio * MouseStep / Radius;
        if (r > Radius)
        {
            // Caught if the crossing point is nearer to the cat than the cat's own step.
            var (cx, cy) = Cat;
            var crossing = Distance(Radius * Math.Cos(mouseAngle) - cx, Radius * Math.Sin(mouseAngle) - cy);
            var reach = Distance(Radius * Math.Cos(newCatAngle) - cx, Radius * Math.Sin(newCatAngle) - cy);
            if (crossing < reach)
            {
                newCatAngle = mouseAngle;
                Caught = true;
            }
        }
        CatAngle = newCatAngle;
        var t = ElapsedSteps + 1;                                // the course increments t before the reward
        var health = 1.0 - (t + 1.0) / TimeLimit;
        var outside = r > Radius;
        var success = health >= 1.0 / TimeLimit && outside && !Caught;
        var (catX, catY) = Cat;
        var distance = Distance(Mouse.X - catX, Mouse.Y - catY);
        var reward = 3 * B(success) + distance + health + B(outside) + B(!Caught) + B(!Caught) * B(outside);
        var done = outside || t >= TimeLimit - 1;
        if (done)
            Outcome = success ? CatMouseOutcome.Escaped : Caught ? CatMouseOutcome.Caught : CatMouseOutcome.Drowned;
        return (reward, done);
    }

    /// <inheritdoc/>
    protected override double[] Observe()
    {
        var (catX, catY) = Cat;
        return [MouseRadius, (ElapsedSteps + 1.0) / TimeLimit, Mouse.X - catX, Mouse.Y - catY];
    }

    static double B(bool value) => value ? 1 : 0;

    static double Distance(double dx, double dy) => Math.Sqrt(dx * dx + dy * dy);
}
