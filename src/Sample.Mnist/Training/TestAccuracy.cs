using System;
using static TorchSharp.torch;

namespace BnGen.Sample.Mnist.Training;

/// <summary>How often a network's most likely class is the label, over a whole split.</summary>
public static class TestAccuracy
{
    /// <summary>Accuracy on <paramref name="split"/> in eval mode (running statistics), in batches of 1,000, without gradients.</summary>
    public static double Of(nn.Module<Tensor, Tensor> model, Data.MnistSplit split)
    {
        model.eval();
        using var noGrad = no_grad();
        long correct = 0;
        for (long start = 0; start < split.Count; start += 1000)
        {
            using var scope = NewDisposeScope();
            long length = Math.Min(1000, split.Count - start);
            var predicted = model.forward(split.Images.narrow(0, start, length)).argmax(1);
            correct += predicted.eq(split.Labels.narrow(0, start, length)).sum().item<long>();
        }

        return (double)correct / split.Count;
    }
}
