using System;
using System.Linq;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>Mixed precision for batch norm: a network computes in float16 or bfloat16, its batch norm in float32.</summary>
public static class BatchNormPrecision
{
    /// <summary>
    /// Keeps every <see cref="BatchNormSite"/> in <paramref name="root"/>'s tree in float32 (<see cref="BatchNormSite.KeepsFloat32"/>),
    /// now and through every later <c>to(Float16)</c> or <c>to(BFloat16)</c>; sites already in half precision go back to
    /// float32 (their values rounded to half precision stay rounded).
    /// </summary>
    /// <returns>How many sites now keep float32.</returns>
    /// <exception cref="NotSupportedException">The tree holds TorchSharp's <c>BatchNorm1d/2d/3d</c>, which a later <c>to()</c>
    /// would convert again; the message names its path. Nothing was changed.</exception>
    public static int KeepFloat32(nn.Module root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var modules = root.named_modules().ToList();
        foreach (var (path, module) in modules)
        {
            if (module is TorchSharp.Modules.BatchNorm1d or TorchSharp.Modules.BatchNorm2d or TorchSharp.Modules.BatchNorm3d)
            {
                throw new NotSupportedException(
                    $"'{path}' is TorchSharp's {module.GetType().Name}, which every to() converts with the rest of the network, so it cannot stay float32. Nothing was changed. Use a BnGen site there ([BatchNormalized] or BatchNormSite.After).");
            }
        }

        int count = 0;
        foreach (var site in modules.Select(m => m.module).OfType<BatchNormSite>())
        {
            site.KeepsFloat32 = true;
            count++;
        }

        return count;
    }
}
