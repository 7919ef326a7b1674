#!/bin/bash
# A large simulator sweep split over a Slurm job array: each task runs one
# deterministic share of the points (loadlab sweep --shard i/n), then one
# job merges the shards. Submit from the checkout, after `make build`:
#
#   jobs=$(sbatch --parsable examples/cluster/slurm-array.sh examples/quick.yaml)
#   sbatch --dependency=afterok:$jobs --wrap \
#     './loadlab merge --out out/quick out/quick-shard*of16'
#
# A task that is killed (time limit, preemption) resumes its shard when it
# is run again: every finished point is already stored in its directory.
#SBATCH --job-name=loadlab-sweep
#SBATCH --array=1-16
#SBATCH --cpus-per-task=2
#SBATCH --time=02:00:00
#SBATCH --output=out/slurm-%A_%a.log
set -euo pipefail
spec=${1:?usage: sbatch slurm-array.sh SPEC.yaml}
n=${SLURM_ARRAY_TASK_COUNT:-16}
i=${SLURM_ARRAY_TASK_ID:?run as a Slurm array job}
name=$(basename "$spec" .yaml)
exec ./loadlab sweep "$spec" --shard "$i/$n" --workers "${SLURM_CPUS_PER_TASK:-2}" \
  --out "out/$name-shard${i}of$n" --quiet
