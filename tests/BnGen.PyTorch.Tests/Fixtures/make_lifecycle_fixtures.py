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
CI never runs this script; the files are committed.
"""
import os
import torch
from torch import nn
from make_fixtures import SimpleNetBN, ConvNetBN, HERE


def batch_norms(model):
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


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
        optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05)
        for i in range(3):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(images[i]), labels[i]).backward()
            optimizer.step()
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


if __name__ == "__main__":
    print("torch", torch.__version__)
    frozen(3)
    update_bn(4)
