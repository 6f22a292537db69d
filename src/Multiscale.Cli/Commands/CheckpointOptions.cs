using System.CommandLine;
using Multiscale.Runs;

namespace Multiscale.Cli.Commands;

/// <summary><c>--checkpoint-every</c> and <c>--resume</c>, shared by the training commands.</summary>
internal sealed class CheckpointOptions(string units)
{
    public Option<string> Every { get; } = new("--checkpoint-every")
    {
        Description = $"Write the run's whole state to <out>/checkpoint.zip every so much time (30s, 5m, 1h) or every so many {units} (a count), or off; a run stopped by Ctrl-C or SIGTERM checkpoints in any case.",
        DefaultValueFactory = _ => "5m",
    };

    public Option<bool> Resume { get; } = new("--resume")
    {
        Description = "Continue the unfinished run in --out from its checkpoint (with the same settings); without a checkpoint the run starts from the beginning.",
    };

    /// <summary>Both options (run controls, not settings of the run).</summary>
    public IEnumerable<Option> Options => new Option[] { Every, Resume };

    public void AddTo(Command command)
    {
        command.Options.Add(Every);
        command.Options.Add(Resume);
    }

    /// <summary>The interval (checked: a bad value is one error before any work) and whether to resume.</summary>
    public (CheckpointInterval Interval, bool Resume) Read(ParseResult parse) =>
        (CheckpointInterval.Parse(parse.GetValue(Every)!), parse.GetValue(Resume));
}
