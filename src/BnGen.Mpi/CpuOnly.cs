using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Mpi;

/// <summary>
/// The one refusal every BnGen.Mpi entry point makes before it communicates or changes anything: a tensor off the
/// CPU. MPICH's collectives here read and write host memory, and a device tensor would fail deep inside libtorch.
/// </summary>
internal static class CpuOnly
{
    /// <summary>Refuses a network with a parameter or buffer off the CPU, naming it by path.</summary>
    /// <exception cref="NotSupportedException">A tensor is not on the CPU; the message names it and its device.</exception>
    public static void Require(nn.Module network, string caller) =>
        Require(network.named_parameters().Select(p => ($"'{p.name}'", (Tensor)p.parameter))
            .Concat(network.named_buffers().Select(b => ($"'{b.name}'", b.buffer))), caller);

    /// <summary>Refuses the first of <paramref name="tensors"/> off the CPU, by its description (e.g. <c>'fc1.weight'</c>).</summary>
    /// <exception cref="NotSupportedException">A tensor is not on the CPU; the message names it and its device.</exception>
    public static void Require(IEnumerable<(string Description, Tensor Tensor)> tensors, string caller)
    {
        foreach (var (description, tensor) in tensors)
        {
            if (tensor.device_type != DeviceType.CPU)
            {
                throw new NotSupportedException(
                    $"{caller}: {description} is on {tensor.device}, and BnGen.Mpi works on CPU tensors only (MPICH's collectives read host memory). Nothing was changed. Train data-parallel on the CPU (network.cpu()), or on one device without BnGen.Mpi.");
            }
        }
    }
}
