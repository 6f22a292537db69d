using System.Diagnostics;

namespace Multiscale.MsAnn;

/// <summary>
/// A run's training clock: wall-clock seconds and the training thread's CPU seconds (<see cref="ThreadCpuTime"/>),
/// accumulated over the intervals between <see cref="Start"/> and <see cref="Stop"/>.
/// </summary>
internal sealed class TrainingClock
{
    private long _wallTicks, _wallStart;
    private double _cpu, _cpuStart;
    private bool _running;

    /// <summary>Starts an interval (it must not be running).</summary>
    public void Start()
    {
        if (_running) throw new InvalidOperationException("the training clock is already running");
        _running = true;
        _cpuStart = ThreadCpuTime.Seconds;
        _wallStart = Stopwatch.GetTimestamp();
    }

    /// <summary>Ends the interval and returns its wall-clock ticks (<see cref="Stopwatch.Frequency"/> a second) and CPU seconds.</summary>
    public (long WallTicks, double CpuSeconds) Stop()
    {
        long wall = Stopwatch.GetTimestamp() - _wallStart;
        double cpu = Math.Max(0, ThreadCpuTime.Seconds - _cpuStart);
        if (!_running) throw new InvalidOperationException("the training clock is not running");
        _running = false;
        _wallTicks += wall;
        _cpu += cpu;
        return (wall, cpu);
    }

    /// <summary>Wall-clock seconds of the finished intervals (and the one under way).</summary>
    public double Seconds => (_wallTicks + (_running ? Stopwatch.GetTimestamp() - _wallStart : 0)) / (double)Stopwatch.Frequency;

    /// <summary>CPU seconds of the training thread in the finished intervals (and the one under way).</summary>
    public double CpuSeconds => _cpu + (_running ? Math.Max(0, ThreadCpuTime.Seconds - _cpuStart) : 0);
}
