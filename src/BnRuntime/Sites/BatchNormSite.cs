using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// One batch-normalization site: its learnable scale and shift, its running statistics, and the forward
/// transform, with PyTorch's <c>_BatchNorm</c> semantics and parameter/buffer names (<c>weight</c>,
/// <c>bias</c>, <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>), so that state
/// dictionaries map one to one onto PyTorch's <c>BatchNorm1d/2d/3d</c>.
/// </summary>
/// <remarks>
/// A site is a module and is called like one (<c>site.call(x)</c>), so forward hooks and pre-hooks run. Generated
/// networks create theirs with <see cref="After(Linear, string, double, double, bool, bool, bool, bool)"/>: the site is
/// then sized from its layer, fixed to the input that layer produces (<see cref="Input"/>, checked on every call),
/// and bound to it for folding (<see cref="Layer"/>). A site made with the constructor and no
/// <c>input</c> accepts any rank from 2 to 5, for use by hand (e.g. in <c>nn.Sequential</c>).
/// </remarks>
public sealed partial class BatchNormSite : nn.Module<Tensor, Tensor>
{
    // Field names are the PyTorch names: TorchSharp's Module.to() finds fields by registered name.
#pragma warning disable IDE1006 // PyTorch naming is the contract here.
    private Parameter? weight;
    private Parameter? bias;
    private Tensor? running_mean;
    private Tensor? running_var;
    private Tensor? num_batches_tracked;
#pragma warning restore IDE1006

    /// <summary>Creates a site for <paramref name="numFeatures"/> channels, initialized like PyTorch.</summary>
    /// <param name="name">The module name; also names the site in error messages (e.g. <c>fc1_bn</c>).</param>
    /// <param name="numFeatures">Channels (C) of the input: out_features of a Linear, out_channels of a Conv.</param>
    /// <param name="momentum">Weight of the new batch value in the running averages, in (0, 1].</param>
    /// <param name="eps">Added to the variance before the square root; positive and finite.</param>
    /// <param name="affine">Whether the site has a learnable per-channel weight and bias.</param>
    /// <param name="trackRunningStats">Whether the site keeps running statistics and uses them in eval mode.</param>
    /// <param name="cumulativeAverage">Average all batches equally (PyTorch <c>momentum=None</c>) instead of using <paramref name="momentum"/>.</param>
    /// <param name="device">Device of the parameters and buffers; CPU when null.</param>
    /// <param name="dtype">Floating-point type of the parameters and running statistics; the default dtype when null.</param>
    /// <param name="input">The input this site accepts, or null for any of [N, C], [N, C, L], [N, C, H, W], [N, C, D, H, W].</param>
    public BatchNormSite(
        string name,
        long numFeatures,
        double momentum = BatchNormDefaults.Momentum,
        double eps = BatchNormDefaults.Epsilon,
        bool affine = true,
        bool trackRunningStats = true,
        bool cumulativeAverage = false,
        Device? device = null,
        ScalarType? dtype = null,
        BatchNormInputKind? input = null)
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numFeatures, 1);
        if (!(momentum > 0 && momentum <= 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"Batch-norm site '{name}': momentum must be in (0, 1] (the weight of the new batch value, PyTorch's convention).");
        if (!(eps > 0) || double.IsPositiveInfinity(eps))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, $"Batch-norm site '{name}': eps must be a positive finite number (PyTorch's default is 1e-5).");
        if (cumulativeAverage && !trackRunningStats)
            throw new ArgumentException($"Batch-norm site '{name}': a cumulative average needs running statistics (trackRunningStats: true).", nameof(cumulativeAverage));

        if (input is { } kind && !Enum.IsDefined(kind))
            throw new ArgumentOutOfRangeException(nameof(input), kind, $"Batch-norm site '{name}': not a BatchNormInputKind.");

        SiteName = name;
        Input = input;
        NumFeatures = numFeatures;
        Momentum = momentum;
        Epsilon = eps;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        CumulativeAverage = cumulativeAverage;

        if (affine)
        {
            weight = new Parameter(torch.ones(numFeatures, dtype, device));
            bias = new Parameter(torch.zeros(numFeatures, dtype, device));
            register_parameter(nameof(weight), weight);
            register_parameter(nameof(bias), bias);
        }

        if (trackRunningStats)
        {
            running_mean = torch.zeros(numFeatures, dtype, device);
            running_var = torch.ones(numFeatures, dtype, device);
            // Always int64, as in PyTorch, whatever the floating-point dtype.
            num_batches_tracked = torch.tensor(0L, ScalarType.Int64, device);
            register_buffer(nameof(running_mean), running_mean);
            register_buffer(nameof(running_var), running_var);
            register_buffer(nameof(num_batches_tracked), num_batches_tracked);
        }
    }

    /// <summary>The name this site was created with; error messages use it.</summary>
    public string SiteName { get; }

    /// <summary>The input this site accepts (fixed by the layer it follows), or null when it accepts any rank from 2 to 5.</summary>
    public BatchNormInputKind? Input { get; }

    /// <summary>Channels (C) this site normalizes.</summary>
    public long NumFeatures { get; }

    /// <summary>Weight of the new batch value in the running averages (PyTorch convention).</summary>
    public double Momentum { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Epsilon { get; }

    /// <summary>Whether the site has <see cref="Weight"/> and <see cref="Bias"/>.</summary>
    public bool Affine { get; }

    /// <summary>Whether the site keeps running statistics.</summary>
    public bool TrackRunningStats { get; }

    /// <summary>Whether the running statistics are a cumulative average (PyTorch <c>momentum=None</c>).</summary>
    public bool CumulativeAverage { get; }

    /// <summary>Set by <see cref="BatchNormFreezing.Freeze"/>: normalize with the running statistics even in training mode.</summary>
    internal bool IsFrozen { get; set; }

    /// <summary>Set by <see cref="BatchNormStatistics.Recompute"/> for its pass: a cumulative average whatever the momentum.</summary>
    internal bool AveragesCumulatively { get; set; }

    /// <summary>The learnable per-channel scale (gamma), or null when not <see cref="Affine"/>.</summary>
    public Parameter? Weight => weight;

    /// <summary>The learnable per-channel shift (beta), or null when not <see cref="Affine"/>.</summary>
    public Parameter? Bias => bias;

    /// <summary>Running mean per channel, or null when not <see cref="TrackRunningStats"/>.</summary>
    public Tensor? RunningMean => running_mean;

    /// <summary>Running unbiased variance per channel, or null when not <see cref="TrackRunningStats"/>.</summary>
    public Tensor? RunningVar => running_var;

    /// <summary>Training batches seen (int64 scalar), or null when not <see cref="TrackRunningStats"/>.</summary>
    public Tensor? NumBatchesTracked => num_batches_tracked;

    /// <summary>
    /// Normalizes <paramref name="input"/>: the rank <see cref="Input"/> names, or, without one, any of [N, C],
    /// [N, C, L], [N, C, H, W] or [N, C, D, H, W]. Call it through <c>call()</c> so that hooks run.
    /// </summary>
    /// <exception cref="ArgumentException">The rank or channel count is wrong, or a training batch has one value per channel.</exception>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        BatchNormInputKind kind = Input ?? input.Dimensions switch
        {
            2 => BatchNormInputKind.Dense,
            3 => BatchNormInputKind.Conv1d,
            4 => BatchNormInputKind.Conv2d,
            5 => BatchNormInputKind.Conv3d,
            _ => throw new ArgumentException(
                $"Batch-norm site '{SiteName}' expects input [N, {NumFeatures}], [N, {NumFeatures}, L], [N, {NumFeatures}, H, W] or [N, {NumFeatures}, D, H, W]; got {BatchNormInputValidation.Describe(input)}.",
                nameof(input)),
        };
        return Normalize(input, kind);
    }

    /// <summary>
    /// Whether this site has been folded into the layer before it (<see cref="BatchNormFolding"/>): it then passes
    /// its input through unchanged, so a forward written by hand that still calls it stays correct, and it refuses
    /// training.
    /// </summary>
    public bool IsFolded { get; private set; }

    /// <summary>
    /// The layer whose output this site normalizes and into which it folds, when it was created with
    /// <see cref="After(Linear, string, double, double, bool, bool, bool, bool)"/> or
    /// <see cref="After(Convolution, string, double, double, bool, bool, bool, bool)"/>; null for a site made with the constructor.
    /// </summary>
    public nn.Module? Layer
    {
        get => layer?.Module;
        private init => layer = value is null ? null : new LayerReference(value);
    }

    // Not a Module-typed field: TorchSharp registers a module's Module-typed fields as its children by reflection, and
    // the layer is the network's child, not the site's (state_dict keys stay PyTorch's).
    private readonly LayerReference? layer;

    private sealed record LayerReference(nn.Module Module);

    /// <summary>Set by <see cref="BatchNormFolding"/> once the layer holds this site's transform.</summary>
    internal void MarkFolded() => IsFolded = true;

    /// <summary>Switches training mode; refused once the site is folded (its statistics are in the layer now).</summary>
    /// <exception cref="InvalidOperationException">Training was asked for after folding.</exception>
    public override void train(bool train = true)
    {
        if (train && IsFolded)
        {
            // A parent's train() may already have switched this module's native flag: put it back before refusing.
            base.train(false);
            throw new InvalidOperationException($"Batch-norm site '{SiteName}' was folded into its layer for inference and cannot train; load an unfused checkpoint into a new network to train again.");
        }

        base.train(train);
    }

    /// <summary>
    /// Combines this site's training statistics with other replicas' (see <see cref="IBatchStatisticsReducer"/>);
    /// null, the default, normalizes with this process's batch alone through ATen's kernel. Eval mode never uses it.
    /// </summary>
    /// <remarks>Set by converters such as <c>BnGen.Mpi</c>'s <c>SyncBatchNorm.Convert</c>; a folded site refuses one.</remarks>
    /// <exception cref="InvalidOperationException">The site is folded.</exception>
    public IBatchStatisticsReducer? StatisticsReducer
    {
        get => statisticsReducer;
        set
        {
            if (value is not null && IsFolded)
                throw new InvalidOperationException($"Batch-norm site '{SiteName}' is folded into its layer for inference; it has no batch statistics to synchronize.");
            statisticsReducer = value;
            replicaFailure = null;
        }
    }

    private IBatchStatisticsReducer? statisticsReducer;
    private Exception? replicaFailure;

    /// <summary>
    /// Records a reducer failure met in backward (where an exception cannot travel back through libtorch), so that
    /// this site's next forward throws it.
    /// </summary>
    internal void RecordReplicaFailure(Exception failure) => replicaFailure ??= failure;

    private Tensor Normalize(Tensor input, BatchNormInputKind kind)
    {
        if (IsFolded)
            return input.alias();
        if (replicaFailure is not null)
            throw new InvalidOperationException($"Batch-norm site '{SiteName}': combining gradients across replicas failed in the last backward: {replicaFailure.Message}", replicaFailure);
        // A frozen site normalizes with its running statistics even when a parent's train() reached it, whether it is
        // called through call() (where BatchNormFreezing's hook also runs) or forward().
        bool training = this.training && !IsFrozen;
        if (training && statisticsReducer is not null)
        {
            // The batch-of-one rule applies to the global batch: the reducer's count decides it.
            BatchNormInputValidation.Validate(SiteName, input, kind, NumFeatures, training: false);
            return CrossReplicaBatchNorm.Apply(this, statisticsReducer, input, weight, bias, running_mean, running_var, num_batches_tracked, Momentum, CumulativeAverage || AveragesCumulatively, Epsilon);
        }

        BatchNormInputValidation.Validate(SiteName, input, kind, NumFeatures, training);
        return BatchNormKernel.Apply(input, weight, bias, running_mean, running_var, num_batches_tracked, training, Momentum, CumulativeAverage || AveragesCumulatively, Epsilon);
    }

    /// <summary>Running mean 0, running variance 1, no batches seen (PyTorch's <c>reset_running_stats</c>).</summary>
    public void reset_running_stats()
    {
        using var noGrad = torch.no_grad();
        running_mean?.zero_();
        running_var?.fill_(1);
        num_batches_tracked?.zero_();
    }

    /// <summary>Resets the running statistics and sets weight 1, bias 0 (PyTorch's <c>reset_parameters</c>).</summary>
    public void reset_parameters()
    {
        reset_running_stats();
        using var noGrad = torch.no_grad();
        weight?.fill_(1);
        bias?.zero_();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            weight?.Dispose();
            bias?.Dispose();
            running_mean?.Dispose();
            running_var?.Dispose();
            num_batches_tracked?.Dispose();
        }

        base.Dispose(disposing);
    }
}
