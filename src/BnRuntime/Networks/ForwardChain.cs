using System;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// Runs modules one after another on a tensor, as <c>nn.Sequential</c> does: each through <c>call()</c>, so that
/// forward hooks and pre-hooks run as in PyTorch, and each intermediate tensor freed as soon as the next module has
/// made its output. A training loop without a dispose scope then leaves no intermediate tensors to the finalizer.
/// Generated forwards use it; so may yours.
/// </summary>
/// <remarks>
/// The caller's input is never freed. Autograd keeps what backward needs; a forward hook that keeps a module's
/// output beyond the forward must keep a copy (<c>alias()</c> or <c>clone()</c>), since the chain frees it.
/// </remarks>
/// <example>
/// <code>
/// var chain = new ForwardChain(input);
/// chain.Run(fc1);
/// chain.Run(fc1_bn);
/// return chain.Run(relu1);
/// </code>
/// </example>
public ref struct ForwardChain
{
    private readonly Tensor input;
    private Tensor? current;

    /// <summary>Starts a chain on <paramref name="input"/>, which the chain reads but never frees.</summary>
    public ForwardChain(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        this.input = input;
        current = null;
    }

    /// <summary>Calls <paramref name="module"/> on the current tensor and frees that tensor unless it is the input or the module returned it.</summary>
    /// <returns>The module's output, now the chain's current tensor (see <see cref="Output"/>).</returns>
    public Tensor Run(nn.Module<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var previous = current ?? input;
        var next = module.call(previous);
        if (current is not null && !ReferenceEquals(current, next) && !ReferenceEquals(current, input))
            current.Dispose();
        current = next;
        return next;
    }

    /// <summary>The last module's output; with no module run, a new handle on the input (the caller may dispose either).</summary>
    public readonly Tensor Output => current ?? input.alias();
}
