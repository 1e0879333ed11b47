using System;
using System.IO;
using System.Linq;

namespace BnGen.TestSupport;

/// <summary>The process's peak resident memory (Linux VmHWM), which writing 5 to clear_refs resets to the current size.</summary>
public static class PeakMemory
{
    public static long ResetAndRead()
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
        return Read();
    }

    public static long Read()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
