using System.Runtime.InteropServices;

namespace Multiscale.Cli.Commands;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM — what Slurm and Kubernetes send before they kill a job — request a stop instead of
/// ending the process, so a run writes its checkpoint, no output is left half-written, and the command exits with a
/// non-zero code (130) saying the run did not finish.
/// </summary>
internal sealed class CancelOnCtrlC : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly ConsoleCancelEventHandler _handler;
    private readonly PosixSignalRegistration? _terminate;

    private CancelOnCtrlC()
    {
        _handler = (_, e) =>
        {
            e.Cancel = true;
            _source.Cancel();
        };
        Console.CancelKeyPress += _handler;
        try
        {
            _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                _source.Cancel();
            });
        }
        catch (PlatformNotSupportedException) { }   // no SIGTERM to handle there
    }

    public CancellationToken Token => _source.Token;

    public static CancelOnCtrlC Create() => new();

    public void Dispose()
    {
        Console.CancelKeyPress -= _handler;
        _terminate?.Dispose();
        _source.Dispose();
    }
}
