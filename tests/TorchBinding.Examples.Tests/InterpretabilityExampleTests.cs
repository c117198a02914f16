namespace TorchBinding.Examples.Tests;

/// <summary>
/// The fast modes of the interpretability, transfer learning and adversarial examples (issue 17). Bounds that are not
/// facts say what was measured (seed 42) and why they are safe.
/// </summary>
[Category("Examples")]
public class InterpretabilityExampleTests
{
    static readonly string[] Methods = ["gradient", "gradient_x_input", "smoothgrad", "integrated_gradients", "occlusion", "grad_cam"];

    [Test]
    public void Interpretability_maps_are_faithful_complete_and_the_sanity_check_separates_the_methods()
    {
        using var run = ExampleRun.Fast("Interpretability");
        run.AssertCompleted("mnist_maps.png", "fashion_maps.png", "deletion_curves.png", "faithfulness.png",
            "fashion_deletion_curves.png", "fashion_faithfulness.png", "sanity_check.png", "sanity_check_correlation.png");
        Assert.Multiple(() =>
        {
            // Fast mode: one epoch on 10,000 images (measured 91.6 %).
            Assert.That(run["mnist_test_accuracy"], Is.GreaterThan(0.88));
            // IG refines images until complete to 0.5 % (measured 0.44 % and 0.49 %, with at most 1024 steps).
            Assert.That(run["ig_completeness_max_relative_error"], Is.LessThan(0.01));
            Assert.That(run["fashion_ig_completeness_max_relative_error"], Is.LessThan(0.01));
            // Deleting what a method ranks first lowers the probability faster than deleting in random order. Measured on
            // 40 MNIST images: random 0.62, the methods 0.09 (IG, gradient x input) to 0.44 (Grad-CAM on a 14x14 map).
            foreach (var method in Methods)
                Assert.That(run[$"deletion_auc_{method}"], Is.LessThan(run["deletion_auc_random"]), method);
            // The randomisation check: the gradient and Grad-CAM change when the weights are random (measured ρ 0.23 and
            // 0.11); gradient x input stays close to the input itself (measured 0.99), Adebayo et al.'s finding.
            Assert.That(run["sanity_rank_correlation_gradient"], Is.LessThan(0.5));
            Assert.That(run["sanity_rank_correlation_grad_cam"], Is.LessThan(0.5));
            Assert.That(run["sanity_rank_correlation_gradient_x_input"], Is.GreaterThan(0.8));
        });
    }

    [Test]
    public void Transfer_learning_compares_three_strategies_at_three_label_counts()
    {
        using var run = ExampleRun.Fast("TransferLearning");
        run.AssertCompleted("accuracy_vs_labels.png");
        Assert.Multiple(() =>
        {
            // Fast mode: pretraining is one epoch on 10,000 Fashion-MNIST images (measured 80.6 %), then 80 steps per setting,
            // one seed, tested on 2,000 MNIST images. More labels help every strategy: measured 10 → 1000 labels +50
            // (scratch), +43 (frozen), +48 (fine-tuned) points; at 100 labels all are far above chance (measured 78–84 %).
            Assert.That(run["pretrain_fashion_accuracy"], Is.GreaterThan(0.7));
            foreach (var strategy in new[] { "scratch", "frozen", "finetune" })
            {
                Assert.That(run[$"{strategy}_accuracy_1000"], Is.GreaterThan(run[$"{strategy}_accuracy_10"] + 0.2), strategy);
                Assert.That(run[$"{strategy}_accuracy_100"], Is.GreaterThan(0.5), strategy);
            }
        });
    }

    [Test]
    public void Adversarial_attacks_break_the_standard_cnn_and_adversarial_training_resists_them()
    {
        using var run = ExampleRun.Fast("Adversarial");
        run.AssertCompleted("adversarial_examples.png", "robust_adversarial_examples.png", "accuracy_vs_epsilon.png", "fooling_images.png");
        Assert.Multiple(() =>
        {
            // Fast mode: one epoch on 10,000 images (measured 91.6 %); PGD-20 at ε = 0.3 leaves nothing (measured 0 of 300).
            Assert.That(run["clean_accuracy"], Is.GreaterThan(0.88));
            Assert.That(run["pgd_accuracy_eps_0_3"], Is.LessThan(0.05));
            // Two epochs of FGSM training with a random start: measured PGD-20 accuracy at ε = 0.1 89 % vs the standard
            // CNN's 52 %, at ε = 0.3 13 % vs 0 % (full mode trains 8 epochs on 60,000 images).
            Assert.That(run["robust_clean_accuracy"], Is.GreaterThan(0.88));
            Assert.That(run["robust_pgd_accuracy_eps_0_1"], Is.GreaterThan(run["pgd_accuracy_eps_0_1"] + 0.2));
            Assert.That(run["robust_pgd_accuracy_eps_0_3"], Is.GreaterThan(run["pgd_accuracy_eps_0_3"] + 0.05));
            // The one-pixel search is too short here to fool the CNN (measured 0 with seeds 42, 1, 2, 3, 4; full mode 1 %):
            // what it must do is tested in TorchBinding.Analysis.Tests (AttackTests: it finds the deciding pixel, and
            // reports failure where none exists). Here: it ran on the images the CNN classified right.
            Assert.That(run.Metrics.ContainsKey("one_pixel_success_rate"), Is.True);
            // Gradient ascent from noise reaches p > 0.99 for every class (measured in 22 steps on average).
            Assert.That(run["standard_fooling_images_reached"], Is.EqualTo(10));
        });
    }
}
