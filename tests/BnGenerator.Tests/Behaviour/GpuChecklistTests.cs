using System;
using System.IO;
using System.Linq;
using BnGen.Generator.Tests.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Generator.Tests.Behaviour;

/// <summary>A fact that runs only where TorchSharp sees a CUDA device, and says so in the test output where it does not.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!cuda.is_available())
            Skip = "No CUDA device (this build references TorchSharp-cpu, or the machine has no GPU): the GPU checklist runs on a CUDA machine with TorchSharp-cuda-linux or -windows.";
    }
}

/// <summary>
/// The first checks a maintainer with a CUDA machine runs (docs/generator.md, "On a GPU"): every tensor follows the
/// network to the device, training matches a CPU twin, fusing, checkpoints and half precision work there. Nothing here
/// can run on this project's CI machine, which has no GPU; everything else in the suite runs on the CPU.
/// </summary>
public sealed class GpuChecklistTests
{
    private static readonly Device Gpu = CUDA;

    [CudaFact]
    public void Every_parameter_and_buffer_follows_the_network_to_the_GPU()
    {
        using var net = new ConvNetBN();
        net.to(Gpu);
        Assert.All(net.named_parameters(), p => Assert.Equal(DeviceType.CUDA, p.parameter.device_type));
        Assert.All(net.named_buffers(), b => Assert.Equal(DeviceType.CUDA, b.buffer.device_type));
    }

    [CudaFact]
    public void Five_training_steps_on_the_GPU_match_a_CPU_twin_and_fusing_and_checkpoints_work_there()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        using var cpuNet = new ConvNetBN();
        using var gpuNet = new ConvNetBN();
        gpuNet.load_state_dict(cpuNet.state_dict());
        gpuNet.to(Gpu);
        var cpuOptimizer = optim.SGD(cpuNet.parameters(), 0.05);
        var gpuOptimizer = optim.SGD(gpuNet.parameters(), 0.05);
        for (int step = 0; step < 5; step++)
        {
            var images = randn(16, 1, 28, 28);
            var labels = randint(0, 10, 16);
            foreach (var (net, optimizer, device) in new[] { (cpuNet, cpuOptimizer, CPU), (gpuNet, gpuOptimizer, Gpu) })
            {
                optimizer.zero_grad();
                nn.functional.cross_entropy(net.forward(images.to(device)), labels.to(device)).backward();
                optimizer.step();
            }
        }

        foreach (var (key, value) in cpuNet.state_dict())
            TensorAssert.Close(value, gpuNet.state_dict()[key].cpu(), 1e-4, 1e-4, $"{key} after 5 steps, GPU against CPU");

        var probe = randn(8, 1, 28, 28);
        cpuNet.eval();
        gpuNet.eval();
        var before = gpuNet.forward(probe.to(Gpu)).cpu();
        gpuNet.FuseBatchNorm();
        Assert.Equal(DeviceType.CUDA, gpuNet.get_buffer(BatchNormNetwork.FusedMarkerKey)!.device_type);
        TensorAssert.Close(before, gpuNet.forward(probe.to(Gpu)).cpu(), 1e-4, 1e-4, "fused on the GPU");

        string path = Path.Combine(Path.GetTempPath(), $"bngen-gpu-{Guid.NewGuid():N}.dat");
        try
        {
            cpuNet.save(path);
            using var loaded = new ConvNetBN();
            loaded.to(Gpu);
            loaded.load(path);
            loaded.eval();
            TensorAssert.Close(cpuNet.forward(probe), loaded.forward(probe.to(Gpu)).cpu(), 1e-4, 1e-4, "a CPU checkpoint loaded on the GPU");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [CudaFact]
    public void A_half_precision_network_runs_on_the_GPU()
    {
        using var scope = NewDisposeScope();
        using var net = new ConvNetBN();
        net.to(Gpu).to(ScalarType.Float16);
        var output = net.forward(randn(8, 1, 28, 28, ScalarType.Float16, Gpu));
        Assert.Equal(ScalarType.Float16, output.dtype);
        Assert.True(output.isfinite().all().item<bool>());
    }
}
