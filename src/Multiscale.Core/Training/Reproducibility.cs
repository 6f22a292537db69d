using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Multiscale.Training;

/// <summary>
/// Makes native math repeatable run to run. libtorch's CPU backend uses Intel MKL, whose default code paths may
/// differ in the last bit from one call to the next (measured here: the same seeded solve gave different objectives
/// on its first and second run in one process). MKL's conditional numerical reproducibility mode <c>MKL_CBWR=AUTO</c>
/// removes that at no measurable cost; it must be in the process environment before MKL's first call, so it is set
/// when this assembly loads (and by <see cref="ConfigureNativeMath"/>, which entry points call first). A value the
/// user already set is kept.
/// </summary>
public static class Reproducibility
{
    private static int _configured;

    /// <summary>Sets MKL_CBWR=AUTO in the native environment unless already set. Idempotent.</summary>
    public static void ConfigureNativeMath()
    {
        if (Interlocked.Exchange(ref _configured, 1) == 1) return;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MKL_CBWR"))) return;
        Environment.SetEnvironmentVariable("MKL_CBWR", "AUTO");
        // .NET keeps its own copy of the environment on Unix; native getenv (MKL's) reads libc's.
        if (!OperatingSystem.IsWindows())
        {
            try { _ = setenv("MKL_CBWR", "AUTO", 0); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        }
    }

#pragma warning disable CA2255 // A module initializer is the one hook that runs before any torch call made through this library.
    [ModuleInitializer]
    internal static void OnLoad() => ConfigureNativeMath();
#pragma warning restore CA2255

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
