#!/usr/bin/env bash
# A night's calls on a Slurm cluster: one array task per shard, each analyzing its own part of
# the same input folder (split by call id, so every call is done exactly once) into its own
# output folder. Resubmitting the same array after a failure or a preemption resumes: finished
# calls are kept.
#
#   sbatch --array=0-7 deploy/slurm/callgauge-array.sh /data/calls/2026-11-27 /data/results/2026-11-27
#
# Each task runs 2 calls at a time on 2 cores (1 whisper thread each) and needs about 1.5 GB.
#SBATCH --job-name=callgauge
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=08:00:00
#SBATCH --output=callgauge-%A_%a.log
# Slurm sends SIGTERM before it kills a task at its time limit or on preemption: callgauge then
# lets its running calls finish and writes its summary.
#SBATCH --signal=TERM@120
set -euo pipefail

input=${1:?usage: sbatch --array=0-N callgauge-array.sh INPUT_DIR OUTPUT_DIR}
output=${2:?usage: sbatch --array=0-N callgauge-array.sh INPUT_DIR OUTPUT_DIR}
: "${SLURM_ARRAY_TASK_ID:?submit with sbatch --array}"
: "${SLURM_ARRAY_TASK_COUNT:?submit with sbatch --array}"
callgauge=${CALLGAUGE:-callgauge}   # the binary; CALLGAUGE_MODEL names the model if not beside it

exec "$callgauge" analyze "$input" \
  --out "$output/shard-$SLURM_ARRAY_TASK_ID" \
  --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" \
  --jobs "${SLURM_CPUS_PER_TASK:-2}" --threads 1
