using Multiscale.Runs;

namespace Multiscale.Mrtl.Training;

/// <summary>
/// How one <see cref="MrtlTrainer"/> run checkpoints: the state to continue from, when a periodic checkpoint is due,
/// and where a finished checkpoint goes.
/// </summary>
/// <param name="Resume">The trainer state to continue from (null: a fresh start).</param>
/// <param name="Due">Asked after every step, with true when the step ended an epoch; true when a checkpoint is due.</param>
/// <param name="Save">Receives each checkpoint, with the trainer's state in it, to add to and write.</param>
public sealed record MrtlCheckpointing(Checkpoint? Resume, Func<bool, bool> Due, Action<Checkpoint> Save);
