#!/usr/bin/python3
"""Makes the fixtures of BnGen.PyTorch.Tests' LifecycleTests with real PyTorch (Debian 12: apt-get install python3-torch).

    /usr/bin/python3 tests/BnGen.PyTorch.Tests/Fixtures/make_lifecycle_fixtures.py

Starts from the committed checkpoints of make_fixtures.py (the sample's SimpleNetBN and ConvNetBN) and writes:
  ConvNetBN.frozen.pt     fine-tuning with frozen batch norm, as torchvision's FrozenBatchNorm2d / detectron2 do it:
                          every BatchNorm in eval mode (running statistics used, never updated) while the rest trains;
                          3 SGD steps (lr 0.05) on fixed batches, once with gamma/beta frozen ("frozen.") and once with
                          them trainable ("affine."): the batches, labels, and every tensor after the steps.
  SimpleNetBN.update_bn.pt  torch.optim.swa_utils.update_bn over three batches of different sizes (5, 17, 9): the
                          batches and every BatchNorm buffer after it.
  ResNet18.start.pt       torchvision's resnet18: a PyTorch checkpoint of its batch norms (weight, bias and running
                          statistics from training forwards) — the rest of its weights are hashed_weights(), which the
                          test computes bit for bit itself, since a whole ResNet-18 checkpoint is 45 MB.
  ResNet18.frozen.pt      that ResNet-18 fine-tuned 3 SGD steps (lr 0.001; 0.01 diverges with eval-mode batch norm) on fixed batches of 4x3x32x32, once with
                          torchvision.ops.misc.FrozenBatchNorm2d ("frozen.") and once with every BatchNorm2d in eval and
                          gamma/beta trainable ("affine."): every batch-norm tensor and fc.bias after the steps, 256
                          evenly strided elements of each conv and fc weight ("sample." keys), and the logits of a probe
                          batch after the steps; "start.sample." keys: the same elements before, bit for bit.
CI never runs this script; the files are committed.
"""
import math
import os
import torch
from torch import nn
import torchvision
from torchvision.ops.misc import FrozenBatchNorm2d
from make_fixtures import SimpleNetBN, ConvNetBN, HERE


def batch_norms(model):
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def sgd_steps(model, images, labels, lr):
    """One SGD step per batch on the parameters that require a gradient, as the C# tests take them."""
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr)
    for batch, label in zip(images, labels):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(batch), label).backward()
        optimizer.step()


def frozen(seed):
    torch.manual_seed(seed)
    reference = {}
    images = [torch.randn(8, 1, 28, 28) for _ in range(3)]
    labels = [torch.randint(0, 10, (8,)) for _ in range(3)]
    for i in range(3):
        reference[f"batch.{i}"] = images[i]
        reference[f"labels.{i}"] = labels[i]
    for prefix, train_affine in (("frozen.", False), ("affine.", True)):
        model = ConvNetBN()
        model.load_state_dict(torch.load(os.path.join(HERE, "ConvNetBN.pt")))
        model.train()
        for bn in batch_norms(model):
            bn.eval()
            bn.weight.requires_grad_(train_affine)
            bn.bias.requires_grad_(train_affine)
        sgd_steps(model, images, labels, lr=0.05)
        for key, value in model.state_dict().items():
            reference[prefix + key] = value.clone()
    torch.save(reference, os.path.join(HERE, "ConvNetBN.frozen.pt"))
    print(f"ConvNetBN.frozen.pt: {len(reference)} tensors")


def update_bn(seed):
    torch.manual_seed(seed)
    model = SimpleNetBN()
    model.load_state_dict(torch.load(os.path.join(HERE, "SimpleNetBN.pt")))
    batches = [torch.randn(n, 1, 28, 28) * 2 + 0.5 for n in (5, 17, 9)]
    model.eval()
    torch.optim.swa_utils.update_bn(batches, model)
    reference = {f"batch.{i}": b for i, b in enumerate(batches)}
    reference["training_after"] = torch.tensor(model.training)
    for key, value in model.state_dict().items():
        if "_bn." in key:
            reference["after." + key] = value.clone()
    torch.save(reference, os.path.join(HERE, "SimpleNetBN.update_bn.pt"))
    print(f"SimpleNetBN.update_bn.pt: {len(reference)} tensors")


def hashed_weights(shape, offset, bound):
    """Uniform in [-bound, bound) from a 32-bit integer hash of offset + i, computed exactly in int64 and float64 so that
    the C# test (HashedWeights.cs) gets the same float32 bits without a file."""
    n = 1
    for d in shape:
        n *= d
    h = torch.arange(offset, offset + n, dtype=torch.int64) & 0xFFFFFFFF
    for _ in range(2):
        h = h ^ (h >> 16)
        h = (h * 0x45D9F3B) & 0xFFFFFFFF
    h = h ^ (h >> 16)
    unit = h.to(torch.float64) / 4294967296.0
    return ((unit * 2.0 - 1.0) * bound).to(torch.float32).reshape(shape)


def hashed_keys(model):
    """The conv and fc tensors hashed_weights() fills, in ordinal order, and the bound of each (Kaiming uniform)."""
    state = model.state_dict()
    keys = sorted(k for k in state if ("conv" in k or "downsample.0" in k or k.startswith("fc.")))
    bounds = {}
    for k in keys:
        fan_in = state[k.replace(".bias", ".weight")][0].numel()
        bounds[k] = math.sqrt(6.0 / fan_in)  # sqrt is correctly rounded everywhere; pow is not
    return keys, bounds


def fill_hashed(model):
    state = model.state_dict()
    keys, bounds = hashed_keys(model)
    with torch.no_grad():
        for index, key in enumerate(keys):
            state[key].copy_(hashed_weights(state[key].shape, index << 24, bounds[key]))
    return keys


def strided_sample(t, count=256):
    flat = t.reshape(-1)
    step = max(1, flat.numel() // count)
    return flat[::step][:count].clone()


def resnet18(seed):
    torch.manual_seed(seed)
    model = torchvision.models.resnet18()
    hashed = fill_hashed(model)
    with torch.no_grad():
        for bn in batch_norms(model):
            bn.weight.uniform_(0.8, 1.2)
            bn.bias.uniform_(-0.1, 0.1)
            bn.momentum = None  # cumulative average: statistics of all warm-up batches
        model.train()
        for _ in range(4):
            model(torch.randn(8, 3, 32, 32) * 1.5 + 0.2)
    start = {k: v.clone() for k, v in model.state_dict().items() if k not in hashed}
    torch.save(start, os.path.join(HERE, "ResNet18.start.pt"))
    print(f"ResNet18.start.pt: {len(start)} tensors")

    reference = {}
    images = [torch.randn(4, 3, 32, 32) for _ in range(3)]
    labels = [torch.randint(0, 1000, (4,)) for _ in range(3)]
    probe = torch.randn(2, 3, 32, 32)
    for i in range(3):
        reference[f"batch.{i}"] = images[i]
        reference[f"labels.{i}"] = labels[i]
    reference["probe"] = probe
    for key, value in model.state_dict().items():
        if key in hashed:
            reference["start.sample." + key] = strided_sample(value)  # the C# hash checks itself against these first
    for prefix in ("frozen.", "affine."):
        if prefix == "frozen.":
            model = torchvision.models.resnet18(norm_layer=FrozenBatchNorm2d)
        else:
            model = torchvision.models.resnet18()
        fill_hashed(model)
        model.load_state_dict(start, strict=False)
        model.train()
        for bn in batch_norms(model):
            bn.eval()  # statistics used, never updated; gamma and beta train
        sgd_steps(model, images, labels, lr=0.001)
        for key, value in model.state_dict().items():
            if key in hashed and key.endswith("weight"):
                reference[prefix + "sample." + key] = strided_sample(value)
            else:
                reference[prefix + key] = value.clone()
        model.eval()
        with torch.no_grad():
            reference[prefix + "logits"] = model(probe)
    torch.save(reference, os.path.join(HERE, "ResNet18.frozen.pt"))
    print(f"ResNet18.frozen.pt: {len(reference)} tensors")


if __name__ == "__main__":
    print("torch", torch.__version__)
    frozen(3)
    update_bn(4)
    resnet18(5)
