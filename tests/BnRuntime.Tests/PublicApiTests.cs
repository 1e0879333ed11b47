namespace BnGen.Tests;

/// <summary>BnRuntime's (the BnGen package's) public surface is pinned: an accidental change fails here with the lines that differ.</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_API_is_the_pinned_one() =>
        PublicApi.Matches(typeof(BatchNormSite).Assembly, Repository.File("tests", "BnRuntime.Tests", "PublicApi", "BnRuntime.txt"));
}
