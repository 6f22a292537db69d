#!/bin/bash
# Submits a sharded MsANN sweep as a Slurm job array and a summarize job that runs when the array has ended:
#
#   examples/slurm/submit-sweep.sh SHARDS OUT [msann sweep options...]
#   examples/slurm/submit-sweep.sh 16 /shared/sweeps/two-object --task two-object --budget 256000
#
# OUT must be on a file system every node sees. The summarize job depends on `afterany`, not `afterok`: Slurm marks an
# afterok dependency as never satisfiable as soon as one task fails, even if that task is requeued and then succeeds.
# `msann summarize` itself refuses an incomplete sweep (it names the missing runs and shards), so after a failure:
# requeue the failed tasks (`scontrol requeue <job>_<task>`) and run the summarize line below again.
set -euo pipefail
if [[ $# -lt 2 ]]; then echo "usage: $0 SHARDS OUT [msann sweep options...]" >&2; exit 1; fi
shards=$1 out=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
array=$(sbatch --parsable --array="1-$shards" --output="$out/slurm-%A_%a.out" "$here/msann-sweep.sbatch" "$@" --out "$out")
summary=$(sbatch --parsable --job-name=msann-summarize --dependency="afterany:$array" --output="$out/slurm-summarize-%j.out" \
  --wrap "${MULTISCALE:-multiscale} msann summarize '$out' --out '$out/summary'")
echo "array job $array ($shards tasks), summarize job $summary; results in $out/summary"
