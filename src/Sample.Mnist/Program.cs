using System;
using TorchSharp;
using static TorchSharp.torch;

// Placeholder until the MNIST sample lands (issue 5): trains a tiny network on synthetic data so that the
// README's first command runs end to end on a fresh machine.
manual_seed(1);
var x = randn(512, 20);
var y = (x[.., 0] + x[.., 1] > 0).to(ScalarType.Int64);
var model = nn.Sequential(nn.Linear(20, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 2));
var optimizer = optim.SGD(model.parameters(), 0.1);
for (int step = 1; step <= 100; step++)
{
    using var scope = NewDisposeScope();
    optimizer.zero_grad();
    var loss = nn.functional.cross_entropy(model.forward(x), y);
    loss.backward();
    optimizer.step();
    if (step % 25 == 0)
        Console.WriteLine($"step {step,3}: loss {loss.item<float>():F4}");
}
