using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace BnGen.PyTorch.Tests;

/// <summary>The files of Fixtures/, written by real PyTorch 1.13 (make_fixtures.py, make_lifecycle_fixtures.py).</summary>
internal static class PyTorchFixtures
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>A dict of tensors PyTorch saved (a reference file, not a network's checkpoint), by key.</summary>
    public static Dictionary<string, Tensor> Tensors(string name) =>
        PyTorchUnpickler.UnpickleStateDict(PathOf(name)).Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (Tensor)e.Value!);
}
