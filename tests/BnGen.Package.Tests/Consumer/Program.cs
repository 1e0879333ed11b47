using System;
using System.Linq;
using BnGen;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

// A user's program: a [BatchNormalized] network trained a few steps, then folded for inference.
manual_seed(1);
using var net = new TinyNet();
var optimizer = optim.SGD(net.parameters(), 0.1);
net.train();
for (int step = 0; step < 3; step++)
{
    using var scope = NewDisposeScope();
    optimizer.zero_grad();
    var loss = functional.cross_entropy(net.forward(randn(32, 8)), randint(0, 3, new long[] { 32 }));
    loss.backward();
    optimizer.step();
}

net.eval();
var probe = randn(4, 8);
var before = net.forward(probe).detach();
net.FuseBatchNorm();
double difference = (net.forward(probe) - before).abs().max().item<float>();

Console.WriteLine("keys: " + string.Join(",", net.state_dict().Keys.Where(k => k.Contains("_bn")).OrderBy(k => k, StringComparer.Ordinal)));
Console.WriteLine($"batches: {net.state_dict()["fc1_bn.num_batches_tracked"].item<long>()}");
Console.WriteLine($"fused difference below 1e-5: {difference < 1e-5}");

[BatchNormalized]
public sealed partial class TinyNet : BatchNormalizedModule
{
    private readonly Linear fc1 = Linear(8, 16, hasBias: false);
    private readonly ReLU relu = ReLU();
    private readonly Linear fc2 = Linear(16, 3);
}
