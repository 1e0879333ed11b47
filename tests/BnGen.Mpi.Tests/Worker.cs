using System.IO;
using System.Linq;
using System.Reflection;
using Xunit.Sdk;

namespace BnGen.Mpi.Tests;

/// <summary>Where BnGen.Mpi.Worker was built (the project file records the path; the worker is never loaded here).</summary>
internal static class Worker
{
    public static string Assembly
    {
        get
        {
            string path = typeof(Worker).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BnGen.Mpi.Worker").Value!;
            return File.Exists(path) ? path : throw new XunitException($"BnGen.Mpi.Worker was not built: {path}");
        }
    }
}
