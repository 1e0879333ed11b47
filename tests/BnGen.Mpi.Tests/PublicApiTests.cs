namespace BnGen.Mpi.Tests;

/// <summary>BnGen.Mpi's public surface is pinned: an accidental change fails here with the lines that differ.</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_API_is_the_pinned_one() =>
        PublicApi.Matches(typeof(MpiWorld).Assembly, Repository.File("tests", "BnGen.Mpi.Tests", "PublicApi", "BnGen.Mpi.txt"));
}
