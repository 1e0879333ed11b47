using System;
using static TorchSharp.torch;

namespace BnGen.Sample.Mnist.Models;

/// <summary>Which pair of networks the experiment compares.</summary>
public enum ModelKind
{
    /// <summary>SimpleNet vs SimpleNetBN (the article's).</summary>
    Mlp,

    /// <summary>ConvNet vs ConvNetBN.</summary>
    Conv,

    /// <summary>PaperNet vs PaperNetBN: Ioffe &amp; Szegedy (2015), section 4.1 (run by <see cref="PaperExperiment"/>).</summary>
    Paper,
}

/// <summary>A network without and with batch norm, starting from the same Linear/Conv weights.</summary>
public sealed class ModelPair : IDisposable
{
    private ModelPair(string plainName, nn.Module<Tensor, Tensor> plain, nn.Module<Tensor, Tensor> plainProbe, string normalizedName, nn.Module<Tensor, Tensor> normalized, nn.Module<Tensor, Tensor> normalizedProbe)
    {
        PlainName = plainName;
        Plain = plain;
        PlainProbe = plainProbe;
        NormalizedName = normalizedName;
        Normalized = normalized;
        NormalizedProbe = normalizedProbe;
    }

    public string PlainName { get; }

    /// <summary>The first hidden layer's name in both networks (fc1 or conv1), for plot titles.</summary>
    public string FirstLayer => PlainName == nameof(SimpleNet) ? "fc1" : "conv1";

    public nn.Module<Tensor, Tensor> Plain { get; }

    /// <summary>The module whose input is the plain network's first hidden pre-activation.</summary>
    public nn.Module<Tensor, Tensor> PlainProbe { get; }

    public string NormalizedName { get; }

    public nn.Module<Tensor, Tensor> Normalized { get; }

    /// <summary>The module whose input is the normalized network's first hidden pre-activation (after BN).</summary>
    public nn.Module<Tensor, Tensor> NormalizedProbe { get; }

    /// <summary>Creates both networks from the current torch seed; the BN one takes the plain one's layer weights.</summary>
    public static ModelPair Create(ModelKind kind)
    {
        ModelPair pair;
        if (kind == ModelKind.Paper)
            throw new ArgumentException("The paper's pair runs in PaperExperiment, step by step.", nameof(kind));
        if (kind == ModelKind.Mlp)
        {
            var plain = new SimpleNet();
            var normalized = new SimpleNetBN();
            pair = new ModelPair(nameof(SimpleNet), plain, plain.FirstHiddenActivation, nameof(SimpleNetBN), normalized, normalized.FirstHiddenActivation);
        }
        else
        {
            var plain = new ConvNet();
            var normalized = new ConvNetBN();
            pair = new ModelPair(nameof(ConvNet), plain, plain.FirstHiddenActivation, nameof(ConvNetBN), normalized, normalized.FirstHiddenActivation);
        }

        // Same layer names in both: every plain parameter has a counterpart; the BN sites keep their PyTorch init.
        var (_, unexpected) = pair.Normalized.load_state_dict(pair.Plain.state_dict(), strict: false);
        if (unexpected.Count > 0)
            throw new InvalidOperationException($"{pair.NormalizedName} lacks {string.Join(", ", unexpected)} of {pair.PlainName}");
        return pair;
    }

    public void Dispose()
    {
        Plain.Dispose();
        Normalized.Dispose();
    }
}
