using System;
using System.Collections.Generic;
using System.Reflection;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// Puts one module in another's place inside its parent, so that the parent's forward calls the new one. TorchSharp
/// has no API for it (PyTorch's is <c>setattr(parent, name, module)</c>), so this reaches TorchSharp 0.107's own
/// storage: a <see cref="Sequential"/>'s module list, or a hand-written module's registered children together with the
/// one field its forward calls. Where that is not certain — no such field, more than one, a field typed so the new
/// module does not fit, a TorchSharp without that storage — it replaces nothing and says so, and the caller keeps the
/// old module working instead. A test pins the storage this relies on.
/// </summary>
internal static class ChildReplacement
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    internal static readonly FieldInfo? SequentialModules = typeof(Sequential).GetField("_modules", Instance);

    internal static readonly FieldInfo? RegisteredChildren = typeof(nn.Module).GetField("_internal_submodules", Instance);

    /// <summary>Replaces <paramref name="parent"/>'s child <paramref name="name"/>, which must be <paramref name="old"/>, by <paramref name="replacement"/>.</summary>
    /// <returns>Whether the parent's forward now calls <paramref name="replacement"/>; if false, nothing was changed.</returns>
    public static bool TryReplace(nn.Module parent, string name, nn.Module old, nn.Module<Tensor, Tensor> replacement)
    {
        if (parent is Sequential sequential)
            return TryReplaceInSequential(sequential, old, replacement);

        if (RegisteredChildren?.GetValue(parent) is not OrderedDict<string, nn.Module> children
            || !children.TryGetValue(name, out var registered) || !ReferenceEquals(registered, old))
            return false;

        var field = TheOneFieldHolding(parent, old);
        if (field is null || !field.FieldType.IsInstanceOfType(replacement))
            return false;

        try
        {
            field.SetValue(parent, replacement);
        }
        catch (Exception e) when (e is FieldAccessException or ArgumentException or TargetException)
        {
            return false; // a runtime that refuses to set the field: the old module stays, neutralized
        }

        children[name] = replacement; // keeps the child's place, so named_modules and state_dict keep their order
        return true;
    }

    private static bool TryReplaceInSequential(Sequential sequential, nn.Module old, nn.Module<Tensor, Tensor> replacement)
    {
        if (SequentialModules?.GetValue(sequential) is not List<nn.IModule<Tensor, Tensor>> modules)
            return false;
        int index = modules.FindIndex(m => ReferenceEquals(m, old));
        if (index < 0 || modules.FindLastIndex(m => ReferenceEquals(m, old)) != index)
            return false;
        modules[index] = replacement;
        return true;
    }

    /// <summary>The instance field, declared anywhere between the parent's type and <see cref="nn.Module"/>, that holds <paramref name="child"/>; null unless exactly one does.</summary>
    private static FieldInfo? TheOneFieldHolding(nn.Module parent, nn.Module child)
    {
        FieldInfo? found = null;
        for (var type = parent.GetType(); type is not null && type != typeof(nn.Module); type = type.BaseType)
        {
            foreach (var field in type.GetFields(Instance))
            {
                if (field.FieldType.IsValueType || !ReferenceEquals(field.GetValue(parent), child))
                    continue;
                if (found is not null)
                    return null;
                found = field;
            }
        }

        return found;
    }
}
