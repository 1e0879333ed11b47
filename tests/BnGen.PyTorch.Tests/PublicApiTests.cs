namespace BnGen.PyTorch.Tests;

/// <summary>BnGen.PyTorch's public surface is pinned: an accidental change fails here with the lines that differ.</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_API_is_the_pinned_one() =>
        PublicApi.Matches(typeof(PyTorchCheckpoint).Assembly, Repository.File("tests", "BnGen.PyTorch.Tests", "PublicApi", "BnGen.PyTorch.txt"));
}
