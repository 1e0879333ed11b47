using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Generator.Tests.Infrastructure;

/// <summary>
/// Trains a generated network and its reference (TorchSharp's own modules, TorchVision) side by side from the same
/// weights on the same batches, and asserts after every step that outputs and every gradient are bit-identical,
/// then that every parameter and buffer is. The reference's names are the oracle's: each must exist in ours.
/// </summary>
internal static class LockstepTraining
{
    /// <param name="batch">The step's input and target, drawn from the caller's generator.</param>
    /// <param name="loss">The loss both networks minimise.</param>
    public static void AssertIdentical(
        nn.Module<Tensor, Tensor> ours,
        nn.Module<Tensor, Tensor> reference,
        int steps,
        Func<int, (Tensor Input, Tensor Target)> batch,
        Func<Tensor, Tensor, Tensor> loss,
        double learningRate,
        double momentum = 0)
    {
        var ourOptimizer = optim.SGD(ours.parameters(), learningRate, momentum: momentum);
        var referenceOptimizer = optim.SGD(reference.parameters(), learningRate, momentum: momentum);
        ours.train();
        reference.train();
        for (int step = 0; step < steps; step++)
        {
            var (input, target) = batch(step);
            ourOptimizer.zero_grad();
            referenceOptimizer.zero_grad();
            var a = ours.forward(input);
            var b = reference.forward(input);
            TensorAssert.Identical(b, a, $"training output, step {step}");
            loss(a, target).backward();
            loss(b, target).backward();
            var ourParameters = ours.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, parameter) in reference.named_parameters())
                TensorAssert.Identical(parameter.grad!, ourParameters[name].grad!, $"gradient of {name}, step {step}");
            ourOptimizer.step();
            referenceOptimizer.step();
        }

        var state = ours.state_dict();
        foreach (var (name, value) in reference.state_dict())
            TensorAssert.Identical(value, state[name], $"after training: {name}");
    }
}
