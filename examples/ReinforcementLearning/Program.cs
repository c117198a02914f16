// Reinforcement learning: an agent learns by trial and error which action to take in each state, from rewards
// alone. Deep Q-learning fits Q(s, a), the expected discounted reward of action a in state s, by regression on
// r + γ·max Q(s′, ·) over replayed experience. The course's notebooks (RL-MagLev) apply it to two environments of
// their own, here as plain C# classes with their exact rules; both notebooks fit Q against the network being trained
// itself, with no target network and no terminal masking. Three parts, one file each:
// 1. MagLev.cs: the magnetic levitator, with the course's settings.
// 2. CatAndMouse.cs: cat and mouse in a pond, with the course's settings.
// 3. CartPole.cs: CartPole with Gymnasium's dynamics, the field's yardstick, shows what the course's update costs, and
//    what a target network, Double DQN and REINFORCE with a value baseline do instead.
// The fast mode plays 40 maglev episodes, 80 cat-and-mouse episodes with ε falling five times faster, and 80 CartPole
// episodes of DQN with a target network only.
var run = ExperimentRun.Start(args, "reinforcement_learning", "DQN for the course's magnetic levitator and cat and mouse; DQN variants and REINFORCE on CartPole",
    new ExtraOption("parts", "what to run: maglev, catmouse, cartpole (comma-separated)", "maglev,catmouse,cartpole"),
    new ExtraOption("seeds", "seeds of the cat-and-mouse training, comma-separated: its escape rate is reported for each and as their mean; the first one's agent is tested and drawn", "42,1,2", FastDefault: "42"));
if (run is null)
    return;
var parts = run.Options.GetString("parts").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();

if (Part("maglev"))
    MagLev.Run(run);
if (Part("catmouse"))
    CatAndMouse.Run(run);
if (Part("cartpole"))
    CartPole.Run(run);

var summary = new List<string>();
if (run.Metrics.TryGetValue("maglev_last20_within_fraction", out var m))
    summary.Add($"maglev last 20 within 0.5: {m:P0}");
if (run.Metrics.TryGetValue("catmouse_escape_rate_mean", out var c))
    summary.Add($"cat and mouse escapes {c:P1} ± {run.Metrics["catmouse_escape_rate_std"]:P1} (mean of {run.Options.GetSeeds("seeds", run.Seed).Length} seeds)");
if (run.Metrics.TryGetValue("cartpole_mean_return", out var p))
    summary.Add($"CartPole DQN mean return {p:F1} (the best of its evaluated checkpoints)");
run.Finish("ReinforcementLearning: " + string.Join("; ", summary));

// Each part starts from the run's seed, so that it gives the same result alone (--parts) as with the others.
bool Part(string name)
{
    if (!parts.Contains(name))
        return false;
    TorchBinding.Runtime.Seeding.SeedEverything(run.Seed);
    return true;
}
