using System.Runtime.CompilerServices;

namespace Multiscale.Cli.Tests;

internal static class AssemblySetup
{
    /// <summary>Before any test touches torch: repeatable MKL math (see Reproducibility).</summary>
    [ModuleInitializer]
    internal static void Init() => Multiscale.Training.Reproducibility.ConfigureNativeMath();
}
