using System.Linq;
using BnGen.Generator.Tests.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Generator.Tests.Behaviour;

/// <summary>
/// [BatchNormalized(KeepFloat32 = true)] and [BatchNorm(KeepFloat32 = …)] reach the sites the generator creates:
/// after <c>to(BFloat16)</c> the network computes in bfloat16 and the chosen sites stay float32. (The numbers of a
/// float32 site on bfloat16 input are checked against ATen's mixed-type kernel in BnRuntime.Tests.)
/// </summary>
public sealed class MixedPrecisionNetworkTests
{
    [Fact]
    public void The_attribute_keeps_its_sites_in_float32_and_a_field_can_opt_out()
    {
        using var scope = NewDisposeScope();
        using var net = new MixedPrecisionNetBN();
        net.to(ScalarType.BFloat16);

        var buffers = net.named_buffers().ToDictionary(b => b.name, b => b.buffer.dtype);
        var parameters = net.named_parameters().ToDictionary(p => p.name, p => p.parameter.dtype);
        Assert.Equal(ScalarType.Float32, parameters["conv_bn.weight"]);
        Assert.Equal(ScalarType.Float32, buffers["conv_bn.running_var"]);
        Assert.Equal(ScalarType.BFloat16, parameters["fc1_bn.weight"]);
        Assert.Equal(ScalarType.BFloat16, buffers["fc1_bn.running_mean"]);
        Assert.Equal(ScalarType.BFloat16, parameters["conv.weight"]);

        net.train();
        var output = net.call(randn(4, 1, 8, 8).to(ScalarType.BFloat16));
        Assert.Equal(ScalarType.BFloat16, output.dtype);
        Assert.True(output.isfinite().all().item<bool>());
    }
}
