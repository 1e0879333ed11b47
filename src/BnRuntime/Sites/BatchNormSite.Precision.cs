using TorchSharp;
using static TorchSharp.torch;

namespace BnGen;

public sealed partial class BatchNormSite
{
    private bool keepsFloat32;

    /// <summary>
    /// Whether γ, β and the running statistics stay in float32 when the network is converted to float16 or bfloat16,
    /// as PyTorch's mixed-precision recipes keep batch norm: the site then normalizes half-precision input with float32
    /// parameters and statistics (ATen's kernel takes the mixed types; its output keeps the input's dtype), so the
    /// statistics do not lose the precision a half-precision running average loses. float64 is converted as asked.
    /// Set it with <see cref="BatchNormPrecision.KeepFloat32"/> or <c>[BatchNormalized(KeepFloat32 = true)]</c>.
    /// </summary>
    public bool KeepsFloat32
    {
        get => keepsFloat32;
        set
        {
            keepsFloat32 = value;
            // A site already converted to half precision goes back to float32 at once.
            if (value && IsHalf(weight?.dtype ?? running_mean?.dtype))
                base._to(ScalarType.Float32, false);
        }
    }

    /// <summary>Converts the site's tensors, except that a float32-keeping site stays float32 under half precision.</summary>
    protected override nn.Module _to(ScalarType dtype, bool non_blocking) =>
        base._to(Target(dtype), non_blocking);

    /// <inheritdoc cref="_to(ScalarType, bool)"/>
    protected override nn.Module _to(Device device, ScalarType dtype, bool non_blocking) =>
        base._to(device, Target(dtype), non_blocking);

    // The parent converts the whole native module tree first and then calls each child's _to, so converting this
    // site to float32 here undoes the half-precision conversion of its own tensors only.
    private ScalarType Target(ScalarType dtype) => keepsFloat32 && IsHalf(dtype) ? ScalarType.Float32 : dtype;

    private static bool IsHalf(ScalarType? dtype) => dtype is ScalarType.Float16 or ScalarType.BFloat16;
}
