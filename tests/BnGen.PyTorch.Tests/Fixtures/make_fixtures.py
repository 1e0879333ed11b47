#!/usr/bin/python3
"""Makes the PyTorch fixtures of BnGen.PyTorch.Tests with real PyTorch (Debian 12: apt-get install python3-torch).

Run with Debian's python3 (a pyenv python3 earlier on PATH lacks torch):

    /usr/bin/python3 tests/BnGen.PyTorch.Tests/Fixtures/make_fixtures.py

For each network (the sample's SimpleNetBN and ConvNetBN, written here with PyTorch's modules under the same
names) it writes, with torch.save:
  <net>.pt            the state_dict after a few warm-up training batches (non-trivial running statistics)
  <net>.reference.pt  a dict of tensors: eval input and output; a training batch, its labels, the training
                      output, and every parameter and buffer after one SGD step (lr 0.1) on that batch
CI never runs this script; the files are committed.

    /usr/bin/python3 tests/BnGen.PyTorch.Tests/Fixtures/make_fixtures.py --verify DIR

loads DIR/<net>.exported.pt (written by BnGen's SavePyTorch when the tests run with BNGEN_PYTORCH_EXPORT_DIR=DIR)
into the PyTorch classes with strict=True and checks every tensor against the fixture it came from.
"""
import sys
import os
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


class SimpleNetBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(28 * 28, 64)
        self.fc1_bn = nn.BatchNorm1d(64)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(64, 128)
        self.fc2_bn = nn.BatchNorm1d(128)
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.flatten(x)
        x = self.relu1(self.fc1_bn(self.fc1(x)))
        x = self.relu2(self.fc2_bn(self.fc2(x)))
        return self.fc3(x)


class ConvNetBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv1_bn = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.conv2_bn = nn.BatchNorm2d(32)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.fc1_bn = nn.BatchNorm1d(128)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1_bn(self.conv1(x))))
        x = self.pool2(self.relu2(self.conv2_bn(self.conv2(x))))
        x = self.flatten(x)
        x = self.relu3(self.fc1_bn(self.fc1(x)))
        return self.fc2(x)


def make(name, net, seed):
    torch.manual_seed(seed)
    model = net()
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(16, 1, 28, 28) * 1.5 + 0.3)
    torch.save(model.state_dict(), os.path.join(HERE, name + ".pt"))

    reference = {}
    model.eval()
    eval_input = torch.randn(5, 1, 28, 28)
    with torch.no_grad():
        reference["eval.input"] = eval_input
        reference["eval.output"] = model(eval_input)

    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    train_input = torch.randn(8, 1, 28, 28)
    labels = torch.randint(0, 10, (8,))
    optimizer.zero_grad()
    output = model(train_input)
    nn.functional.cross_entropy(output, labels).backward()
    optimizer.step()
    reference["train.input"] = train_input
    reference["train.labels"] = labels
    reference["train.output"] = output.detach()
    for key, value in model.state_dict().items():
        reference["after." + key] = value.clone()
    torch.save(reference, os.path.join(HERE, name + ".reference.pt"))
    print(f"{name}: {len(model.state_dict())} state_dict entries, {len(reference)} reference tensors")


def verify(directory):
    for name, net in (("SimpleNetBN", SimpleNetBN), ("ConvNetBN", ConvNetBN)):
        model = net()
        exported = torch.load(os.path.join(directory, name + ".exported.pt"))
        model.load_state_dict(exported, strict=True)
        original = torch.load(os.path.join(HERE, name + ".pt"))
        for key, value in model.state_dict().items():
            assert torch.equal(value, original[key]), key
        print(f"{name}: BnGen's export loads with strict=True, {len(exported)} tensors equal to the fixture")


if __name__ == "__main__":
    print("torch", torch.__version__)
    if len(sys.argv) == 3 and sys.argv[1] == "--verify":
        verify(sys.argv[2])
    else:
        make("SimpleNetBN", SimpleNetBN, 1)
        make("ConvNetBN", ConvNetBN, 2)
