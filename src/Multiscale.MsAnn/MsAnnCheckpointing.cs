using Multiscale.Runs;
using static TorchSharp.torch;

namespace Multiscale.MsAnn;

/// <summary>
/// How one <see cref="MsAnnTrainer"/> run checkpoints: the generator its batches are drawn from (the data cursor), the
/// state to continue from, when a periodic checkpoint is due, and where a finished checkpoint goes.
/// </summary>
/// <param name="BatchGenerator">The generator the batch drawer uses; its state is saved and restored.</param>
/// <param name="Resume">The trainer state to continue from (null: a fresh start).</param>
/// <param name="Due">Asked after every batch, with true when the batch was followed by an evaluation (the unit of counted intervals); true when a checkpoint is due.</param>
/// <param name="Save">Receives each checkpoint, with the trainer's state in it, to add to and write.</param>
public sealed record MsAnnCheckpointing(Generator BatchGenerator, Checkpoint? Resume, Func<bool, bool> Due, Action<Checkpoint> Save);
