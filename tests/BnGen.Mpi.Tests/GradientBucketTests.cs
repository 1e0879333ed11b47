using System;
using System.Collections.Generic;
using System.Linq;
using BnGen.TestSupport.Article;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen.Mpi.Tests;

/// <summary>
/// DataParallel's gradient buffer, in one process (no MPI: the bucket only gathers and re-points). Oracle: the same
/// network trained beside it without a bucket — its gradients, bit for bit. What is pinned: after the first step the
/// gradients are views into the buffer, so backward accumulates into it and nothing is copied; a gradient that is not
/// its view any more (set to null by <c>Module.zero_grad()</c>, or replaced by the user) is copied in, never lost.
/// </summary>
public sealed class GradientBucketTests
{
    [Fact]
    public void After_the_first_step_backward_accumulates_into_the_buffer_and_nothing_is_copied()
    {
        var (network, reference, optimizer, referenceOptimizer) = Pair();
        using var bucket = GradientBucket.For(Gradients(network));

        Assert.Equal(Count(network), Step(network, reference, bucket, seed: 1).Count); // fresh gradients: every one copied
        for (int seed = 2; seed <= 4; seed++)
        {
            optimizer.step();
            referenceOptimizer.step();
            optimizer.zero_grad(); // in place: the views stay
            referenceOptimizer.zero_grad();

            Assert.Empty(Step(network, reference, bucket, seed));
        }
    }

    [Fact]
    public void Gradients_set_to_null_are_copied_in_and_become_views_again()
    {
        var (network, reference, _, _) = Pair();
        using var bucket = GradientBucket.For(Gradients(network));
        Step(network, reference, bucket, seed: 1);

        network.zero_grad(); // TorchSharp's default sets them to null
        reference.zero_grad();
        Assert.Equal(Count(network), Step(network, reference, bucket, seed: 2).Count);

        network.zero_grad(set_to_none: false);
        reference.zero_grad(set_to_none: false);
        Assert.Empty(Step(network, reference, bucket, seed: 3));
    }

    [Fact]
    public void A_gradient_the_user_replaced_is_copied_and_the_others_are_not()
    {
        var (network, reference, _, _) = Pair();
        using var bucket = GradientBucket.For(Gradients(network));
        Step(network, reference, bucket, seed: 1);

        var fc2Weight = network.get_parameter("fc2.weight")!;
        using (var replaced = fc2Weight.grad!.clone().mul_(3))
            fc2Weight.grad = replaced;
        var gradients = Gradients(network);
        var copied = bucket.Gather(gradients);

        int index = gradients.FindIndex(g => g.Name == "fc2.weight");
        Assert.Equal([index], copied);
        using var expected = reference.get_parameter("fc2.weight")!.grad!.mul(3);
        TensorAssert.Identical(expected.reshape(-1), bucket.Buffer.narrow(0, Offset(gradients, index), expected.NumberOfElements), "fc2.weight's slot");
    }

    [Fact]
    public void A_bucket_holds_only_the_parameters_it_was_made_for()
    {
        var (network, _, _, _) = Pair();
        using var bucket = GradientBucket.For(Gradients(network));

        Assert.True(bucket.Holds(Gradients(network)));
        Assert.False(bucket.Holds(Gradients(network).Skip(1).ToList()));
        var renamed = Gradients(network);
        renamed[0] = ("other", renamed[0].Gradient);
        Assert.False(bucket.Holds(renamed));
        var reshaped = Gradients(network);
        reshaped[0] = (reshaped[0].Name, reshaped[0].Gradient.reshape(-1));
        Assert.False(bucket.Holds(reshaped));
        var converted = Gradients(network).Select(g => (g.Name, g.Gradient.to(float64))).ToList();
        Assert.False(bucket.Holds(converted));
    }

    [Fact]
    public void A_gradient_off_the_CPU_is_refused_by_name_before_anything_moves()
    {
        using var onCpu = torch.zeros(3);
        using var elsewhere = torch.zeros(3, device: torch.META);

        var error = Assert.Throws<NotSupportedException>(() =>
            CpuOnly.Require([("the gradient of 'fc1.weight'", onCpu), ("the gradient of 'fc2.bias'", elsewhere)], "DataParallel.AverageGradients"));
        Assert.Contains("the gradient of 'fc2.bias' is on meta", error.Message);
        Assert.Contains("Nothing was changed", error.Message);
        CpuOnly.Require([("the gradient of 'fc1.weight'", onCpu)], "DataParallel.AverageGradients");
    }

    /// <summary>
    /// One training step of both networks on the same batch, then the network's gradients through the bucket (gather,
    /// views). Asserts the network's gradients and the buffer equal the reference's, bit for bit; returns what was copied.
    /// </summary>
    private static List<int> Step(SimpleNetBN network, SimpleNetBN reference, GradientBucket bucket, int seed)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(seed);
        var images = torch.randn(8, 1, 28, 28);
        var labels = torch.randint(0, 10, 8, dtype: int64);
        nn.functional.cross_entropy(network.forward(images), labels).backward();
        nn.functional.cross_entropy(reference.forward(images), labels).backward();

        var gradients = Gradients(network);
        var copied = bucket.Gather(gradients);
        bucket.AttachViews(network.named_parameters().Select(p => p.parameter).ToList(), copied);

        var expected = reference.named_parameters().Select(p => p.parameter.grad!.reshape(-1)).ToList();
        TensorAssert.Identical(torch.cat(expected), bucket.Buffer, "the buffer");
        foreach (var (name, parameter) in reference.named_parameters())
            TensorAssert.Identical(parameter.grad!, network.get_parameter(name)!.grad!, $"{name}'s gradient");
        return copied;
    }

    private static (SimpleNetBN Network, SimpleNetBN Reference, optim.Optimizer Optimizer, optim.Optimizer ReferenceOptimizer) Pair()
    {
        torch.manual_seed(7);
        var network = new SimpleNetBN();
        var reference = new SimpleNetBN();
        reference.load_state_dict(network.state_dict());
        return (network, reference, optim.SGD(network.parameters(), 0.1), optim.SGD(reference.parameters(), 0.1));
    }

    /// <summary>Each parameter's gradient; before the first backward, zeros of its shape (what a bucket is made for).</summary>
    private static List<(string Name, Tensor Gradient)> Gradients(SimpleNetBN network) =>
        network.named_parameters().Select(p => (p.name, p.parameter.grad ?? torch.zeros_like(p.parameter))).ToList();

    private static int Count(SimpleNetBN network) => network.named_parameters().Count();

    private static long Offset(List<(string Name, Tensor Gradient)> gradients, int index) =>
        gradients.Take(index).Sum(g => g.Gradient.NumberOfElements);
}
