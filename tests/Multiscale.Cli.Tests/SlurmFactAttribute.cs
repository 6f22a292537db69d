namespace Multiscale.Cli.Tests;

/// <summary>
/// A fact that needs a running Slurm cluster. Without <c>MULTISCALE_SLURM=1</c> it is skipped and says how to get
/// one; with it (as <c>.ci/run</c> sets after <c>.ci/slurm-up.sh</c>) it runs, so a missing or unresponsive Slurm
/// fails instead of passing unnoticed.
/// </summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("MULTISCALE_SLURM") != "1")
            Skip = "needs a Slurm cluster: run .ci/slurm-up.sh as root and set MULTISCALE_SLURM=1 (.ci/run does both)";
    }
}
