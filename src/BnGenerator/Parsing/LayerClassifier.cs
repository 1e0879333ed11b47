using System.Collections.Generic;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;

namespace BnGen.Generator.Parsing;

/// <summary>Tells a layer's kind from the declared type of its field.</summary>
internal static class LayerClassifier
{
    private const string ModulesNamespace = "TorchSharp.Modules";

    // Modules that keep the channel count (and rank) of what they receive.
    private static readonly HashSet<string> ShapePreserving = new()
    {
        "ReLU", "ReLU6", "RReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "GLU", "SiLU", "Mish",
        "Sigmoid", "LogSigmoid", "Tanh", "Tanhshrink", "Softsign", "Softplus", "Softshrink", "Hardshrink",
        "Hardtanh", "Hardswish", "Hardsigmoid", "Threshold", "Softmax", "LogSoftmax", "Softmin",
        "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "Identity",
        "MaxPool1d", "AvgPool1d", "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "LPPool1d", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
        "LocalResponseNorm", "GroupNorm",
    };

    /// <summary>The kind of a field of type <paramref name="type"/>, or null when it is not a Module&lt;Tensor, Tensor&gt;.</summary>
    public static LayerKind? Classify(ITypeSymbol type, KnownTypes known)
    {
        if (!known.IsTensorModule(type))
            return null;

        if (type.ContainingNamespace?.ToDisplayString() != ModulesNamespace)
            return LayerKind.Other;

        return type.Name switch
        {
            "Linear" => LayerKind.Linear,
            "Conv1d" => LayerKind.Conv1d,
            "Conv2d" => LayerKind.Conv2d,
            "Conv3d" => LayerKind.Conv3d,
            "ConvTranspose1d" => LayerKind.ConvTranspose1d,
            "ConvTranspose2d" => LayerKind.ConvTranspose2d,
            "ConvTranspose3d" => LayerKind.ConvTranspose3d,
            "Flatten" => LayerKind.Flatten,
            "MaxPool2d" or "AvgPool2d" or "AdaptiveAvgPool2d" or "AdaptiveMaxPool2d" or "LPPool2d" => LayerKind.Pool2d,
            "MaxPool3d" or "AvgPool3d" or "AdaptiveAvgPool3d" or "AdaptiveMaxPool3d" => LayerKind.Pool3d,
            _ when ShapePreserving.Contains(type.Name) => LayerKind.ShapePreserving,
            _ => LayerKind.Other,
        };
    }
}
