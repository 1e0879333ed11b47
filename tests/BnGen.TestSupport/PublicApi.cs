using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.IO;
using System.Linq;
using System.Reflection;
using Xunit.Sdk;

namespace BnGen.TestSupport;

/// <summary>
/// A package's public surface as text, one line per public type and member, to pin it in a file beside the test:
/// an accidental change to what users can call fails the test with the lines that differ. Members hidden with
/// <c>[EditorBrowsable(Never)]</c> (called by generated code only) are marked, so hiding one is a visible change too.
/// </summary>
public static class PublicApi
{
    /// <summary>Compares <paramref name="assembly"/>'s surface with the file; BNGEN_ACCEPT_API=1 rewrites the file instead.</summary>
    /// <param name="pinned">The file, in the test project's source folder (found from the repository root).</param>
    public static void Matches(Assembly assembly, string pinned)
    {
        var actual = Describe(assembly);
        if (Environment.GetEnvironmentVariable("BNGEN_ACCEPT_API") == "1")
        {
            File.WriteAllLines(pinned, actual);
            return;
        }

        var expected = File.Exists(pinned) ? File.ReadAllLines(pinned) : Array.Empty<string>();
        var added = actual.Except(expected).ToList();
        var removed = expected.Except(actual).ToList();
        if (added.Count > 0 || removed.Count > 0)
        {
            throw new XunitException(
                $"The public API of {assembly.GetName().Name} changed (pinned in {pinned}; if intended, rerun with BNGEN_ACCEPT_API=1 and commit the file):\n"
                + string.Concat(added.Select(l => "+ " + l + "\n")) + string.Concat(removed.Select(l => "- " + l + "\n")));
        }
    }

    public static IReadOnlyList<string> Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            lines.Add($"{Kind(type)} {Name(type)}{Bases(type)}");
            const BindingFlags Visible = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            var members = type.GetMembers(Visible).Where(IsVisible).Select(m => $"  {Hidden(m)}{Member(m)}").Distinct().OrderBy(l => l, StringComparer.Ordinal);
            lines.AddRange(members);
        }

        return lines;
    }

    private static bool IsVisible(MemberInfo member) => member switch
    {
        MethodBase m => (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly) && !m.IsSpecialName || m is ConstructorInfo { IsPublic: true } or ConstructorInfo { IsFamily: true },
        FieldInfo f => f.IsPublic || f.IsFamily,
        PropertyInfo p => p.GetAccessors(nonPublic: true).Any(a => a.IsPublic || a.IsFamily),
        EventInfo e => e.AddMethod is { IsPublic: true } || e.AddMethod is { IsFamily: true },
        _ => false,
    };

    private static string Hidden(MemberInfo member) =>
        member.GetCustomAttribute<EditorBrowsableAttribute>()?.State == EditorBrowsableState.Never ? "[hidden] " : "";

    private static string Member(MemberInfo member) => member switch
    {
        ConstructorInfo c => $"ctor({Parameters(c)})",
        MethodInfo m => $"{(m.IsStatic ? "static " : "")}{(m.IsAbstract ? "abstract " : m.IsVirtual && !m.IsFinal ? "virtual " : "")}{Name(m.ReturnType)} {m.Name}{(m.IsGenericMethod ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "")}({Parameters(m)})",
        PropertyInfo p => $"{Name(p.PropertyType)} {p.Name} {{ {(p.GetMethod is { IsPublic: true } or { IsFamily: true } ? "get; " : "")}{(p.SetMethod is { IsPublic: true } or { IsFamily: true } ? (p.SetMethod.ReturnParameter.GetRequiredCustomModifiers().Any(t => t.Name == "IsExternalInit") ? "init; " : "set; ") : "")}}}",
        FieldInfo f => $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{Name(f.FieldType)} {f.Name}",
        EventInfo e => $"event {Name(e.EventHandlerType!)} {e.Name}",
        _ => member.ToString()!,
    };

    private static string Parameters(MethodBase method) =>
        string.Join(", ", method.GetParameters().Select(p => $"{(p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : "")}{Name(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : "")}"));

    private static string Kind(Type type) =>
        type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct" : type.IsAbstract && type.IsSealed ? "static class" : type.IsAbstract ? "abstract class" : type.IsSealed ? "sealed class" : "class";

    private static string Bases(Type type)
    {
        var bases = new List<string>();
        if (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum))
            bases.Add(Name(b));
        bases.AddRange(type.GetInterfaces().Where(i => i.IsPublic).Select(Name).OrderBy(n => n, StringComparer.Ordinal));
        return bases.Count == 0 ? "" : " : " + string.Join(", ", bases);
    }

    private static string Name(Type type)
    {
        if (type.IsByRef)
            return Name(type.GetElementType()!);
        if (type.IsArray)
            return Name(type.GetElementType()!) + "[]";
        if (Nullable.GetUnderlyingType(type) is { } underlying)
            return Name(underlying) + "?";
        if (!type.IsGenericType)
            return type.IsGenericParameter ? type.Name : (type.FullName ?? type.Name).Replace('+', '.');
        string name = (type.GetGenericTypeDefinition().FullName ?? type.Name).Replace('+', '.');
        return name[..name.IndexOf('`')] + "<" + string.Join(", ", type.GetGenericArguments().Select(Name)) + ">";
    }
}
