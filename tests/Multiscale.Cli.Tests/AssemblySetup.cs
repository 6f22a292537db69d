using System.Runtime.CompilerServices;

namespace Multiscale.Cli.Tests;

internal static class AssemblySetup
{
    /// <summary>Before any test touches torch: repeatable MKL math and flat memory (see NativeSetup).</summary>
    [ModuleInitializer]
    internal static void Init() => Multiscale.Runs.NativeSetup.Configure();
}
