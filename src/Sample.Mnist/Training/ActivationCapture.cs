using System;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Sample.Mnist.Training;

/// <summary>Forward hooks on the two probe modules (the first activation) that copy their input, the pre-activation, when enabled.</summary>
internal sealed class ActivationCapture : IDisposable
{
    private readonly Action _removeHooks;
    private double[]? _plain;
    private double[]? _normalized;

    public ActivationCapture(nn.Module<Tensor, Tensor> plainProbe, nn.Module<Tensor, Tensor> normalizedProbe)
    {
        var plainHook = plainProbe.register_forward_hook((_, input, output) =>
        {
            if (Enabled)
                _plain = Copy(input);
            return output;
        });
        var normalizedHook = normalizedProbe.register_forward_hook((_, input, output) =>
        {
            if (Enabled)
                _normalized = Copy(input);
            return output;
        });
        _removeHooks = () =>
        {
            plainHook.remove();
            normalizedHook.remove();
        };
    }

    public bool Enabled { get; set; }

    public double[] TakePlain() => _plain ?? throw new InvalidOperationException("the plain network's probe did not run");

    public double[] TakeNormalized() => _normalized ?? throw new InvalidOperationException("the normalized network's probe did not run");

    private static double[] Copy(Tensor output)
    {
        using var values = output.detach().flatten().to(ScalarType.Float64);
        return values.data<double>().ToArray();
    }

    public void Dispose() => _removeHooks();
}
