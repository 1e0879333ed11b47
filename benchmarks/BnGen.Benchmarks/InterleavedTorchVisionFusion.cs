using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// Eval of TorchVision.NET's own resnet18() and mobilenet_v2() after BatchNormFusion.Fuse against the same model
/// unfused (two copies with the same weights), interleaved, medians: run with `-- torchvision-fused [rounds]`.
/// Folding a TorchSharp BatchNorm2d takes it out of the forward and gives the convolution a bias, so the fused model
/// runs one kernel less per fold and one bias add more: the question is whether it is ever slower.
/// </summary>
public static class InterleavedTorchVisionFusion
{
    public static int Run(int rounds)
    {
        set_num_threads(2);
        manual_seed(1);
        foreach (string name in new[] { "resnet18", "mobilenet_v2" })
        {
            using var unfused = Create(name);
            using var fused = Create(name);
            fused.load_state_dict(unfused.state_dict());
            unfused.eval();
            fused.eval();
            BatchNormFusion.Fuse(fused);
            foreach (int batch in new[] { 1, 16 })
            {
                using var images = rand(batch, 3, 64, 64);
                Interleaved.Report($"{name} eval batch {batch}, fused", "unfused", rounds,
                    () => Interleaved.Eval(unfused, images), () => Interleaved.Eval(fused, images));
            }
        }

        return 0;
    }

    private static nn.Module<Tensor, Tensor> Create(string name) =>
        name == "resnet18" ? torchvision.models.resnet18() : torchvision.models.mobilenet_v2();
}
