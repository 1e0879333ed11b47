using System.Threading;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace BnGen.Generator.Parsing;

/// <summary>Sizes a compiler can see in a layer's field initializer: literal or constant arguments of torch.nn.Linear/ConvNd.</summary>
/// <param name="Inputs">in features / in channels, when constant.</param>
/// <param name="Outputs">out features / out channels, when constant.</param>
/// <param name="HasBias">whether the layer has a bias, when constant.</param>
internal readonly record struct LayerSizes(long? Inputs, long? Outputs, bool? HasBias)
{
    public static readonly LayerSizes Unknown = new(null, null, null);

    /// <summary>Reads the initializer of <paramref name="field"/> when it calls a torch.nn factory for that kind.</summary>
    public static LayerSizes Read(IFieldSymbol field, LayerKind kind, KnownTypes known, Compilation compilation, CancellationToken cancellationToken)
    {
        if (known.TorchNn is null || field.DeclaringSyntaxReferences.Length == 0)
            return Unknown;
        if (field.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: { } value })
            return Unknown;

        var model = compilation.GetSemanticModel(value.SyntaxTree);
        var operation = model.GetOperation(value, cancellationToken);
        while (operation is IConversionOperation conversion)
            operation = conversion.Operand;
        if (operation is not IInvocationOperation invocation
            || !SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, known.TorchNn))
        {
            return Unknown;
        }

        string inputs = kind == LayerKind.Linear ? "inputSize" : "in_channels";
        string outputs = kind == LayerKind.Linear ? "outputSize" : "out_channels";
        string bias = kind == LayerKind.Linear ? "hasBias" : "bias";
        long? inputValue = null;
        long? outputValue = null;
        bool? biasValue = null;
        foreach (var argument in invocation.Arguments)
        {
            var constant = argument.Value.ConstantValue;
            string? name = argument.Parameter?.Name;
            if (!constant.HasValue || name is null)
                continue;
            if (name == inputs)
                inputValue = AsLong(constant.Value);
            else if (name == outputs)
                outputValue = AsLong(constant.Value);
            else if (name == bias && constant.Value is bool b)
                biasValue = b;
        }

        return new LayerSizes(inputValue, outputValue, biasValue);
    }

    private static long? AsLong(object? value) => value switch
    {
        int i => i,
        long l => l,
        short s => s,
        byte b => b,
        uint u => u,
        _ => null,
    };
}
