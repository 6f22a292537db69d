using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Multiscale.MsAnn;

/// <summary>
/// The CPU time of the calling thread, in seconds: Linux's <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>; elsewhere the
/// process's CPU time (<see cref="Environment.CpuUsage"/>), which equals it when the process runs one busy thread.
/// </summary>
/// <remarks>
/// Why a second clock: on a shared machine the wall-clock seconds of one computation spread by tens of percent with the
/// load (other processes take the core away), while the CPU time the training thread itself gets does not. With
/// OMP_NUM_THREADS=1 libtorch's CPU ops run on the calling thread (its one intra-op thread is the caller), so the
/// training thread's CPU time is what the wall-clock would be on a quiet machine (the overhead bench checks this
/// against process CPU time and wall-clock).
/// </remarks>
public static class ThreadCpuTime
{
    private const int ClockThreadCpuTimeId = 3;   // CLOCK_THREAD_CPUTIME_ID in <time.h> on Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime", SetLastError = false)]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private static readonly bool UseThreadClock = OperatingSystem.IsLinux() && Environment.Is64BitProcess && Probe();

    private static bool Probe()
    {
        try { return ClockGetTime(ClockThreadCpuTimeId, out _) == 0; }
        catch (DllNotFoundException) { return false; }
        catch (EntryPointNotFoundException) { return false; }
    }

    /// <summary>True when <see cref="Seconds"/> is the calling thread's own CPU time (Linux); false: the process's.</summary>
    public static bool IsPerThread => UseThreadClock;

    /// <summary>CPU seconds used so far by the calling thread (see <see cref="IsPerThread"/>).</summary>
    public static double Seconds
    {
        get
        {
            if (UseThreadClock && ClockGetTime(ClockThreadCpuTimeId, out var t) == 0) return t.Seconds + t.Nanoseconds * 1e-9;
            return Environment.CpuUsage.TotalTime.TotalSeconds;
        }
    }

    /// <summary>CPU seconds used so far by the whole process (all threads).</summary>
    public static double ProcessSeconds => Environment.CpuUsage.TotalTime.TotalSeconds;
}
