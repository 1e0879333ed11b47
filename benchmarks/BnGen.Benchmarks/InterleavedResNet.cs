using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using BnGen.TestSupport.ResNet;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// BnGen's ResNet-18 against TorchVision.NET's resnet18() from the same weights, interleaved in one process:
/// an SGD training step (batch 16, 3×64×64) with and without a caller dispose scope, eval at batch 1 and 16, and
/// the fused network against the unfused one. Run with `-- resnet [rounds]`.
/// </summary>
public static class InterleavedResNet
{
    public static int Run(int rounds)
    {
        set_num_threads(2);
        manual_seed(1);
        using var ours = new ResNet18BN();
        using var reference = torchvision.models.resnet18();
        reference.load_state_dict(ours.state_dict());

        foreach (bool callerScope in new[] { true, false })
        {
            using var images = rand(16, 3, 64, 64);
            using var labels = randint(0, 1000, new long[] { 16 });
            var ourOptimizer = optim.SGD(ours.parameters(), 0.001);
            var referenceOptimizer = optim.SGD(reference.parameters(), 0.001);
            ours.train();
            reference.train();
            Interleaved.Report($"resnet18 train batch 16, caller scope {(callerScope ? "yes" : "no")}", "TorchVision", rounds,
                () => TrainStep(reference, referenceOptimizer, images, labels, callerScope),
                () => TrainStep(ours, ourOptimizer, images, labels, callerScope));
        }

        ours.eval();
        reference.eval();
        using var fused = new ResNet18BN();
        fused.load_state_dict(ours.state_dict());
        fused.eval();
        fused.FuseBatchNorm();
        foreach (int batch in new[] { 1, 16 })
        {
            using var images = rand(batch, 3, 64, 64);
            Interleaved.Report($"resnet18 eval batch {batch}, unfused", "TorchVision", rounds, () => Interleaved.Eval(reference, images), () => Interleaved.Eval(ours, images));
            // Fused against unfused BnGen: interleaving TorchVision with the fused network (convs with a bias now) made
            // TorchVision's own median swing from 34 to 72 ms at batch 16 here, so the fusion gain is measured on ours.
            Interleaved.Report($"resnet18 eval batch {batch}, FuseBatchNorm()", "BnGen unfused", rounds, () => Interleaved.Eval(ours, images), () => Interleaved.Eval(fused, images));
        }

        return 0;
    }

    private static double TrainStep(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor images, Tensor labels, bool callerScope)
    {
        long start = Stopwatch.GetTimestamp();
        using (callerScope ? NewDisposeScope() : null)
        {
            optimizer.zero_grad();
            using var output = model.forward(images);
            using var loss = nn.functional.cross_entropy(output, labels);
            loss.backward();
            optimizer.step();
        }

        return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }
}
