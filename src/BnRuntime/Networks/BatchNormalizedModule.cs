using System.Collections.Generic;
using System.IO;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// The base class for <see cref="BatchNormalizedAttribute"/> networks: a TorchSharp <c>Module&lt;Tensor, Tensor&gt;</c>
/// that adds, once for every network, what batch normalization needs beyond its sites — folding for inference
/// (<see cref="FuseBatchNorm"/>), the training guard after folding, and checkpoints that refuse the wrong fusion. The
/// generated code of a class deriving from it then holds only what varies: its sites, their registration and its forward.
/// </summary>
/// <remarks>
/// Deriving from it is optional: a <see cref="BatchNormalizedAttribute"/> class that derives from
/// <c>Module&lt;Tensor, Tensor&gt;</c> (or a base class of your own) gets the same members generated as one-line
/// calls into <see cref="BatchNormNetwork"/>, with the same behaviour.
/// </remarks>
public abstract class BatchNormalizedModule : nn.Module<Tensor, Tensor>, IBatchNormFusable
{
    /// <summary>Creates the module with the name TorchSharp reports for it (usually the class name).</summary>
    protected BatchNormalizedModule(string name)
        : base(name)
    {
    }

    /// <inheritdoc />
    public bool IsBatchNormFused => BatchNormNetwork.IsFused(this);

    /// <inheritdoc />
    public void FuseBatchNorm() => BatchNormNetwork.Fuse(this);

    /// <summary>Switches training mode; refused once <see cref="FuseBatchNorm"/> has folded the sites.</summary>
    /// <exception cref="System.InvalidOperationException">Training was asked for after <see cref="FuseBatchNorm"/>; the module stays in eval mode.</exception>
    public override void train(bool train = true)
    {
        BatchNormNetwork.RefuseTrainingWhenFused(this, train);
        base.train(train);
    }

    /// <summary>Loads a checkpoint written by <c>save</c>, all or nothing: a malformed file, or one whose keys, dtypes,
    /// shapes or fusion differ from this network's, is refused before anything changes.</summary>
    /// <exception cref="System.InvalidOperationException">The checkpoint's fusion or an entry differs from this network's; nothing was loaded.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is malformed; nothing was loaded.</exception>
    public override nn.Module load(BinaryReader reader, bool strict = true, IList<string>? skip = null, Dictionary<string, bool>? loadedParameters = null) =>
        base.load(BatchNormNetwork.CheckCheckpoint(this, reader, strict, skip), strict, skip, loadedParameters);

    /// <summary>Loads a state dictionary, all or nothing: one whose keys, shapes or fusion differ from this network's is
    /// refused before anything changes.</summary>
    /// <exception cref="System.InvalidOperationException">The state dictionary's fusion or a tensor differs from this network's; nothing was loaded.</exception>
    public override (IList<string> missing_keys, IList<string> unexpected_keyes) load_state_dict(Dictionary<string, Tensor> source, bool strict = true, IList<string>? skip = null)
    {
        BatchNormNetwork.CheckStateDict(this, source, strict, skip);
        return base.load_state_dict(source, strict, skip);
    }
}
