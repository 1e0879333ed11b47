using System;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen.Tests.CrossReplica;

/// <summary>
/// Sites whose statistics are combined across replicas (threads here, MPI in BnGen.Mpi.Tests) against one
/// process with ATen's kernel on the concatenated batch: outputs, the input gradient of every slice, the summed
/// parameter gradients, running statistics and the counter, over several SGD steps. Float64; tolerance 1e-10
/// (the two sides sum in different orders).
/// </summary>
public sealed class CrossReplicaSiteTests
{
    private const double Tolerance = 1e-10;

    [Theory]
    [InlineData(new[] { 4, 4 }, false)]
    [InlineData(new[] { 5, 3, 8 }, false)]
    [InlineData(new[] { 1, 6 }, false)] // one sample on a replica: fine, the global batch has 7
    [InlineData(new[] { 3, 4 }, true)]
    [InlineData(new[] { 2, 1, 3 }, true)]
    public void Replicas_train_like_one_process_on_the_concatenated_batch(int[] slices, bool conv)
    {
        int total = slices.Sum();
        torch.manual_seed(7);
        using var reference = Network(conv);
        var replicas = Enumerable.Range(0, slices.Length).Select(_ => Network(conv)).ToArray();
        foreach (var replica in replicas)
            replica.load_state_dict(reference.state_dict());

        var transport = new ThreadReplicas(slices.Length);
        for (int r = 0; r < slices.Length; r++)
            SiteOf(replicas[r]).StatisticsReducer = transport.ReducerFor(r);

        for (int step = 0; step < 5; step++)
        {
            var input = conv ? torch.randn(total, 2, 5, 4, dtype: float64) * 3 + 1 : torch.randn(total, 6, dtype: float64) * 3 + 1;
            var x = input.clone().requires_grad_(true);
            var expected = reference.forward(x);
            var weights = torch.randn_like(expected);
            // Each sample's loss weighted by 1/total: the global batch's mean.
            (expected * weights).sum().div(total).backward();

            var outputs = new Tensor[slices.Length];
            var inputGrads = new Tensor[slices.Length];
            transport.Run(r =>
            {
                int start = slices.Take(r).Sum();
                var slice = input.narrow(0, start, slices[r]).clone().requires_grad_(true);
                var output = replicas[r].forward(slice);
                (output * weights.narrow(0, start, slices[r])).sum().div(total).backward();
                outputs[r] = output.detach();
                inputGrads[r] = slice.grad!.detach();
            });

            TensorAssert.Close(expected.detach(), torch.cat(outputs), Tolerance, Tolerance, $"step {step}: outputs");
            TensorAssert.Close(x.grad!, torch.cat(inputGrads), Tolerance, Tolerance, $"step {step}: input gradient");
            foreach (var (name, parameter) in reference.named_parameters())
            {
                var summed = replicas.Select(m => m.get_parameter(name)!.grad!).Aggregate((a, b) => a + b);
                TensorAssert.Close(parameter.grad!, summed, Tolerance, Tolerance, $"step {step}: gradient of {name}");
            }

            // Same SGD step everywhere with the summed gradients.
            using (torch.no_grad())
            {
                foreach (var (name, parameter) in reference.named_parameters())
                {
                    var summed = replicas.Select(m => m.get_parameter(name)!.grad!).Aggregate((a, b) => a + b);
                    parameter.sub_(parameter.grad! * 0.1);
                    foreach (var replica in replicas)
                        replica.get_parameter(name)!.sub_(summed * 0.1);
                }
            }

            reference.zero_grad();
            foreach (var replica in replicas)
            {
                replica.zero_grad();
                foreach (var (name, buffer) in reference.named_buffers())
                {
                    if (buffer.dtype == int64)
                        Assert.Equal(buffer.item<long>(), replica.get_buffer(name)!.item<long>());
                    else
                        TensorAssert.Close(buffer, replica.get_buffer(name)!, Tolerance, Tolerance, $"step {step}: {name}");
                }
            }
        }

        // Eval uses the (equal) running statistics and never calls the reducer.
        reference.eval();
        var probe = conv ? torch.randn(3, 2, 5, 4, dtype: float64) : torch.randn(3, 6, dtype: float64);
        var evalExpected = reference.forward(probe);
        foreach (var replica in replicas)
        {
            replica.eval();
            SiteOf(replica).StatisticsReducer = new RefusingReducer();
            TensorAssert.Close(evalExpected, replica.forward(probe), Tolerance, Tolerance, "eval output");
        }
    }

    [Fact]
    public void A_global_batch_of_one_value_per_channel_is_refused_on_every_replica_before_any_change()
    {
        torch.manual_seed(1);
        var replicas = Enumerable.Range(0, 2).Select(_ => Network(conv: false)).ToArray();
        var transport = new ThreadReplicas(2);
        for (int r = 0; r < 2; r++)
            SiteOf(replicas[r]).StatisticsReducer = transport.ReducerFor(r);
        var slices = new[] { torch.randn(1, 6, dtype: float64), torch.randn(0, 6, dtype: float64) };

        var errors = new string[2];
        transport.Run(r => errors[r] = Assert.Throws<ArgumentException>(() => replicas[r].forward(slices[r])).Message);

        Assert.All(errors, message => Assert.Contains("got 1 across all replicas", message));
        foreach (var replica in replicas)
        {
            Assert.Equal(0, SiteOf(replica).NumBatchesTracked!.item<long>());
            Assert.Equal(0.0, SiteOf(replica).RunningMean!.abs().sum().item<double>());
        }
    }

    [Fact]
    public void A_network_refuses_a_global_batch_of_one_before_its_first_site_runs_on_every_replica()
    {
        // ConvNetBN's conv sites come before its dense site: one sample in all would pass them (H·W values per channel)
        // and be refused only at fc1_bn, after conv1_bn and conv2_bn had updated their statistics. The network asks
        // the replicas for the global batch first, as one process checks its batch first.
        torch.manual_seed(2);
        var replicas = Enumerable.Range(0, 2).Select(_ => new BnGen.TestSupport.Article.ConvNetBN()).ToArray();
        var transport = new ThreadReplicas(2);
        for (int r = 0; r < 2; r++)
        {
            foreach (var site in replicas[r].modules().OfType<BatchNormSite>())
                site.StatisticsReducer = transport.ReducerFor(r);
        }

        var slices = new[] { torch.randn(1, 1, 28, 28), torch.randn(0, 1, 28, 28) };
        var errors = new string[2];
        transport.Run(r => errors[r] = Assert.Throws<ArgumentException>(() => replicas[r].forward(slices[r])).Message);

        Assert.All(errors, message => Assert.Contains("got 1 across all replicas", message));
        Assert.All(errors, message => Assert.Contains("Nothing was changed", message));
        foreach (var site in replicas.SelectMany(r => r.modules().OfType<BatchNormSite>()))
        {
            Assert.Equal(0, site.NumBatchesTracked!.item<long>());
            Assert.Equal(0f, site.RunningMean!.abs().sum().item<float>());
        }

        // Two samples in all, one on each replica: trains.
        transport.Run(r => replicas[r].forward(torch.randn(1, 1, 28, 28)));
        Assert.All(replicas.SelectMany(r => r.modules().OfType<BatchNormSite>()), site => Assert.Equal(1, site.NumBatchesTracked!.item<long>()));
    }

    [Fact]
    public void A_reducer_failing_in_backward_is_thrown_by_the_sites_next_forward()
    {
        torch.manual_seed(2);
        using var network = Network(conv: false);
        SiteOf(network).StatisticsReducer = new FailingInBackwardReducer();
        var input = torch.randn(4, 6, dtype: float64);

        network.forward(input).sum().backward(); // libtorch's engine cannot carry the exception: it is recorded

        var error = Assert.Throws<InvalidOperationException>(() => network.forward(input));
        Assert.Contains("'bn'", error.Message);
        Assert.Contains("peer vanished", error.Message);
    }

    [Fact]
    public void A_single_replica_matches_the_kernel()
    {
        torch.manual_seed(3);
        using var kernel = Network(conv: true);
        using var seam = Network(conv: true);
        seam.load_state_dict(kernel.state_dict());
        SiteOf(seam).StatisticsReducer = new ThreadReplicas(1).ReducerFor(0);
        var input = torch.randn(6, 2, 5, 4, dtype: float64);

        TensorAssert.Close(kernel.forward(input), seam.forward(input), Tolerance, Tolerance, "output");
        TensorAssert.Close(SiteOf(kernel).RunningVar!, SiteOf(seam).RunningVar!, Tolerance, Tolerance, "running_var");
    }

    [Fact]
    public void Replicas_of_a_bfloat16_network_with_float32_sites_train_like_ATens_mixed_kernel_on_the_whole_batch()
    {
        // Oracle: one site on the concatenated batch, through ATen's mixed-type kernel (bfloat16 input, float32
        // statistics and parameters). The replicas compute their moments in float32 and combine them in float64, so
        // the statistics agree to float32 rounding; outputs and input gradients are bfloat16 and agree to its rounding.
        torch.manual_seed(9);
        var reference = new BatchNormSite("bn", 3, input: BatchNormInputKind.Conv2d) { KeepsFloat32 = true };
        var replicas = Enumerable.Range(0, 2).Select(_ => new BatchNormSite("bn", 3, input: BatchNormInputKind.Conv2d) { KeepsFloat32 = true }).ToArray();
        var transport = new ThreadReplicas(2);
        for (int r = 0; r < 2; r++)
            replicas[r].StatisticsReducer = transport.ReducerFor(r);

        for (int step = 0; step < 3; step++)
        {
            var input = (torch.randn(8, 3, 5, 4) * 4 + 20).to(ScalarType.BFloat16);
            var x = input.clone().requires_grad_(true);
            var expected = reference.forward(x);
            var upstream = torch.randn_like(expected);
            expected.backward([upstream]);

            var outputs = new Tensor[2];
            var inputGrads = new Tensor[2];
            transport.Run(r =>
            {
                var slice = input.narrow(0, 4 * r, 4).clone().requires_grad_(true);
                var output = replicas[r].forward(slice);
                output.backward([upstream.narrow(0, 4 * r, 4)]);
                outputs[r] = output.detach();
                inputGrads[r] = slice.grad!.detach();
            });

            Assert.Equal(ScalarType.BFloat16, outputs[0].dtype);
            Assert.Equal(ScalarType.BFloat16, inputGrads[0].dtype);
            TensorAssert.Close(expected.detach().to(float32), torch.cat(outputs).to(float32), 0.05, 0.02, $"step {step}: outputs (bfloat16)");
            TensorAssert.Close(x.grad!.to(float32), torch.cat(inputGrads).to(float32), 0.05, 0.02, $"step {step}: input gradient (bfloat16)");
            var summedWeightGrad = replicas[0].Weight!.grad! + replicas[1].Weight!.grad!;
            Assert.Equal(ScalarType.Float32, summedWeightGrad.dtype);
            TensorAssert.Close(reference.Weight!.grad!, summedWeightGrad, 1e-2, 1e-3, $"step {step}: gamma's gradient (float32)");
            foreach (var replica in replicas)
            {
                TensorAssert.Close(reference.RunningMean!, replica.RunningMean!, 1e-4, 1e-5, $"step {step}: running mean (float32)");
                TensorAssert.Close(reference.RunningVar!, replica.RunningVar!, 1e-4, 1e-4, $"step {step}: running variance (float32)");
            }

            reference.zero_grad();
            foreach (var replica in replicas)
                replica.zero_grad();
        }
    }

    [Theory]
    [InlineData(BatchNormRecomputation.Population)]
    [InlineData(BatchNormRecomputation.CumulativeAverage)]
    public void Recomputed_statistics_on_replicas_are_one_processs_on_the_concatenated_batches(BatchNormRecomputation mode)
    {
        // Three global batches of different sizes and means (where the two modes differ), each split unevenly.
        int[][] slices = { new[] { 5, 2 }, new[] { 1, 12 }, new[] { 4, 4 } };
        torch.manual_seed(11);
        using var reference = Network(false);
        var replicas = new[] { Network(false), Network(false) };
        var transport = new ThreadReplicas(2);
        for (int r = 0; r < replicas.Length; r++)
        {
            replicas[r].load_state_dict(reference.state_dict());
            SiteOf(replicas[r]).StatisticsReducer = transport.ReducerFor(r);
        }

        var batches = slices.Select((s, i) => torch.randn(s.Sum(), 6, dtype: float64) * (1 + i) + 2 * i).ToList();
        BatchNormStatistics.Recompute(reference, batches, mode);
        transport.Run(r => BatchNormStatistics.Recompute(
            replicas[r],
            batches.Select((batch, i) => batch.narrow(0, r == 0 ? 0 : slices[i][0], slices[i][r])),
            mode));

        foreach (var replica in replicas)
        {
            foreach (var (name, buffer) in reference.named_buffers())
            {
                if (buffer.dtype == int64)
                    Assert.Equal(buffer.item<long>(), replica.get_buffer(name)!.item<long>());
                else
                    TensorAssert.Close(buffer, replica.get_buffer(name)!, Tolerance, Tolerance, $"{mode}: {name}");
            }
        }
    }

    private static Sequential Network(bool conv) => conv
        ? nn.Sequential(("0", nn.Conv2d(2, 3, 3, padding: 1, dtype: float64)), ("1", new BatchNormSite("bn", 3, dtype: float64)), ("2", nn.ReLU()), ("3", nn.Flatten()), ("4", nn.Linear(60, 2, dtype: float64)))
        : nn.Sequential(("0", nn.Linear(6, 5, dtype: float64)), ("1", new BatchNormSite("bn", 5, dtype: float64)), ("2", nn.ReLU()), ("3", nn.Linear(5, 3, dtype: float64)));

    private static BatchNormSite SiteOf(Sequential network) => network.modules().OfType<BatchNormSite>().Single();

    private sealed class RefusingReducer : IBatchStatisticsReducer
    {
        public Tensor GatherMoments(BatchNormSite site, Tensor localMoments) => throw new InvalidOperationException("eval must not reduce");
        public void SumGradients(BatchNormSite site, Tensor gradients) => throw new InvalidOperationException("eval must not reduce");
    }

    private sealed class FailingInBackwardReducer : IBatchStatisticsReducer
    {
        public Tensor GatherMoments(BatchNormSite site, Tensor localMoments) => localMoments.unsqueeze(0).clone();
        public void SumGradients(BatchNormSite site, Tensor gradients) => throw new InvalidOperationException("peer vanished");
    }
}
