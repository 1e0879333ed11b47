using System;
using System.Linq;
using BnGen.Generator.Tests.Infrastructure;
using BnGen.Generator.Tests.Networks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen.Generator.Tests.Behaviour;

/// <summary>
/// A DCGAN-style generator declared with [BatchNormalized] against the same network written by hand with
/// nn.Sequential, nn.BatchNorm1d and nn.BatchNorm2d (TorchSharp's ATen modules), from the same weights.
/// </summary>
public sealed class TransposedConvolutionTests
{
    private static Sequential HandWritten() => nn.Sequential(
        ("project", nn.Linear(16, 32 * 4 * 4, hasBias: false)), ("project_bn", nn.BatchNorm1d(32 * 4 * 4)), ("relu1", nn.ReLU()),
        ("reshape", nn.Unflatten(1, new long[] { 32, 4, 4 })),
        ("up1", nn.ConvTranspose2d(32, 16, 4, stride: 2, padding: 1, bias: false)), ("up1_bn", nn.BatchNorm2d(16)), ("relu2", nn.ReLU()),
        ("up2", nn.ConvTranspose2d(16, 1, 4, stride: 2, padding: 1)), ("tanh", nn.Tanh()));

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Training_and_eval_match_the_hand_written_generator_bit_for_bit(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var generated = new DcganGeneratorBN();
        var handWritten = HandWritten();
        generated.to(dtype);
        handWritten.to(dtype);
        var (missing, unexpected) = handWritten.load_state_dict(generated.state_dict());
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        var noise = new torch.Generator(11);
        LockstepTraining.AssertIdentical(generated, handWritten, steps: 3,
            _ => (randn(new long[] { 8, 16 }, dtype: dtype, generator: noise), rand(new long[] { 8, 1, 16, 16 }, dtype: dtype, generator: noise) * 2 - 1),
            (output, target) => nn.functional.mse_loss(output, target),
            learningRate: 0.05);

        generated.eval();
        handWritten.eval();
        var probe = randn(new long[] { 5, 16 }, dtype: dtype, generator: noise);
        var expected = handWritten.forward(probe).detach();
        TensorAssert.Identical(expected, generated.forward(probe), "eval output");

        generated.FuseBatchNorm();
        // Folding reassociates products: float32 agrees to a few ulps of the activations' scale (outputs in [-1, 1]).
        double tolerance = dtype == ScalarType.Float32 ? 1e-5 : 1e-12;
        TensorAssert.Close(expected, generated.forward(probe), tolerance, tolerance, "eval output after FuseBatchNorm");
        Assert.Equal(16, ((ConvTranspose2d)generated.named_children().Single(c => c.name == "up1").module).out_channels);
    }

    [Fact]
    public void The_sites_follow_the_linear_and_the_hidden_transposed_convolution_but_not_the_output_layer()
    {
        using var net = new DcganGeneratorBN();
        Assert.Equal(
            new[] { "project", "project_bn", "relu1", "reshape", "up1", "up1_bn", "relu2", "up2", "tanh" },
            net.named_children().Select(c => c.name));
    }
}
