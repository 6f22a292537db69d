using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Multiscale.Runs;

/// <summary>
/// Process-wide settings of the native libraries under libtorch, applied before their first use (this assembly's
/// module initializer calls <see cref="Configure"/>; entry points call it first too).
/// <list type="bullet">
/// <item><b>Repeatable math.</b> libtorch's CPU backend uses Intel MKL, whose default code paths may differ in the
/// last bit from one call to the next (measured: the same seeded solve gave different objectives on its first and
/// second run in one process). MKL's conditional numerical reproducibility mode <c>MKL_CBWR=AUTO</c> removes that.
/// A value the user set is kept.</item>
/// <item><b>Flat memory.</b> glibc raises its mmap threshold each time a large block is freed, after which blocks of
/// a few MB come from the heap and fragment it: a Stiefel solve on 1024 × 512 matrices grew by ~40 MB per iteration
/// with no tensor alive. Fixing the threshold at 1 MiB (<c>mallopt(M_MMAP_THRESHOLD)</c>) keeps large tensors on
/// mmap, returned to the system when freed; the same solve then stayed flat.</item>
/// </list>
/// </summary>
public static class NativeSetup
{
    private const int MmapThresholdOption = -3; // M_MMAP_THRESHOLD in glibc's malloc.h
    private static int _configured;

    /// <summary>Applies the settings once per process.</summary>
    public static void Configure()
    {
        if (Interlocked.Exchange(ref _configured, 1) == 1) return;
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MKL_CBWR")))
        {
            Environment.SetEnvironmentVariable("MKL_CBWR", "AUTO");
            // .NET keeps its own copy of the environment on Unix; native getenv (MKL's) reads libc's.
            if (!OperatingSystem.IsWindows()) TryNative(() => setenv("MKL_CBWR", "AUTO", 0));
        }
        if (OperatingSystem.IsLinux() && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_")))
            TryNative(() => mallopt(MmapThresholdOption, 1 << 20));
    }

    private static void TryNative(Func<int> call)
    {
        try { _ = call(); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

#pragma warning disable CA2255 // A module initializer is the one hook that runs before any torch call made through this library.
    [ModuleInitializer]
    internal static void OnLoad() => Configure();
#pragma warning restore CA2255

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int option, int value);
}
