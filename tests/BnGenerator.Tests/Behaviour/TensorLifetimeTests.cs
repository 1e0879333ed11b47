using System.Linq;
using BnGen.Generator.Tests.Networks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen.Generator.Tests.Behaviour;

/// <summary>
/// The generated forward frees the intermediate tensors it creates, as TorchSharp's nn.Sequential does, so a
/// loop without a dispose scope leaves nothing to the finalizer. Oracle: the number of live tensors that the
/// same network written as nn.Sequential + nn.BatchNorm1d/2d leaves in a scope after one forward (and backward).
/// </summary>
public sealed class TensorLifetimeTests
{
    /// <summary>Tensors still alive in a fresh scope after a forward (and, in training, a backward) on an input made outside it.</summary>
    private static int LiveTensorsAfterStep(nn.Module<Tensor, Tensor> network, Tensor input, bool training)
    {
        network.train(training);
        using var scope = NewDisposeScope();
        var output = network.forward(input);
        if (training)
            output.sum().backward();
        return scope.DisposablesView.Count(d => d is Tensor { IsInvalid: false });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_step_leaves_as_few_live_tensors_as_nn_Sequential(bool training)
    {
        using var input = randn(4, 1, 28, 28);
        using var generated = new ConvNetBN();
        using var handWritten = GeneratedNetworkTests.HandWrittenConvNet();

        int expected = LiveTensorsAfterStep(handWritten, input, training);
        int actual = LiveTensorsAfterStep(generated, input, training);

        Assert.Equal(expected, actual);
        Assert.False(input.IsInvalid, "the caller's input must survive");
    }

    [Fact]
    public void The_output_and_the_input_survive_and_a_caller_scope_still_collects_the_output()
    {
        using var net = new SimpleNetBN();
        net.train();
        using var input = randn(8, 1, 28, 28);
        Tensor output;
        using (var scope = NewDisposeScope())
        {
            output = net.forward(input);
            Assert.False(output.IsInvalid);
            Assert.Equal(new long[] { 8, 10 }, output.shape);
        }

        Assert.True(output.IsInvalid, "the caller's scope owns the output");
        Assert.False(input.IsInvalid);
    }

    [Fact]
    public void Forward_hooks_that_copy_a_layer_output_still_see_it()
    {
        using var net = new SimpleNetBN();
        var fc1 = (Linear)net.named_children().Single(c => c.name == "fc1").module;
        double[]? seen = null;
        var handle = fc1.register_forward_hook((_, _, output) =>
        {
            seen = output.detach().flatten().to(ScalarType.Float64).data<double>().ToArray();
            return output;
        });
        using var input = randn(3, 1, 28, 28);
        net.eval();
        using var expected = fc1.forward(input.flatten(1));

        using var result = net.forward(input);

        Assert.Equal(expected.flatten().to(ScalarType.Float64).data<double>().ToArray(), seen);
        handle.remove();
    }
}
