using System;
using System.IO;

namespace BnGen.Sample.Mnist.Output;

/// <summary>
/// Writes a run's outputs into a staging folder and moves them into the output folder only when all are written:
/// a failure while writing (a full disk, a plot that throws) leaves the output folder as it was, never half a run.
/// </summary>
public static class StagedOutput
{
    public static void Write(string outputFolder, Action<string> writeInto)
    {
        var staging = Directory.CreateTempSubdirectory("bngen-mnist-out-");
        try
        {
            writeInto(staging.FullName);
            Directory.CreateDirectory(outputFolder);
            foreach (var file in staging.GetFiles())
                file.MoveTo(Path.Combine(outputFolder, file.Name), overwrite: true);
        }
        finally
        {
            staging.Delete(recursive: true);
        }
    }
}
