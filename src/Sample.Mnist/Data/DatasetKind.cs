namespace BnGen.Sample.Mnist.Data;

/// <summary>Which data set the experiment trains on.</summary>
public enum DatasetKind
{
    /// <summary>Handwritten digits.</summary>
    Mnist,

    /// <summary>Zalando's Fashion-MNIST: clothing in the same 28x28 format, ten classes.</summary>
    FashionMnist,
}
