#!/usr/bin/env bash
# Pins down the Slurm behaviour slurm/train.sbatch relies on, on a throw-away single-node cluster
# (tests/slurm/slurm_cluster.sh), with a trivial job instead of the trainer:
#   - a USR1 sent to the batch shell reaches its trap, which can run `scontrol requeue`;
#   - the requeued job starts again (after `scontrol update StartTime=now`) with SLURM_RESTART_COUNT=1;
#   - `srun --mpi=pmix` starts 2 tasks that see their PMIx rank;
#   - the job's output file survives the requeue with --open-mode=append.
# If this fails, the trainer's requeue test cannot pass either, and the cause is Slurm or the set-up.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/slurm/slurm_cluster.sh
source "$here/slurm_cluster.sh"
# shellcheck source=tests/slurm/job_helpers.sh
source "$here/job_helpers.sh"

slurm_cluster_start

srun --mpi=list 2>&1 | grep -qw pmix || fail "srun --mpi=list does not offer pmix"

work=$SLURM_CLUSTER_DIR/work
mkdir -p "$work"
cat >"$work/job.sh" <<'EOF'
#!/usr/bin/env bash
#SBATCH --requeue
#SBATCH --open-mode=append
restart=${SLURM_RESTART_COUNT:-0}
echo "start restart=$restart"
if ((restart == 0)); then
  trap 'echo "USR1 in batch shell"; scontrol requeue "$SLURM_JOB_ID"; sleep 30' USR1
  echo "waiting for USR1"
  for _ in $(seq 300); do sleep 0.1; done
  echo "no USR1 arrived"
  exit 1
fi
srun --mpi=pmix --ntasks=2 bash -c 'echo "task $SLURM_PROCID pmix rank ${PMIX_RANK:-none}"'
echo "done"
EOF

job=$(sbatch --parsable --ntasks=2 --output="$work/out.txt" "$work/job.sh")
echo "submitted job $job"
wait_for_output 30 "$work/out.txt" "waiting for USR1" || fail "job $job did not start"
scancel --signal=USR1 --batch "$job"
wait_for_restarts 30 "$job" 1 || fail "job $job was not requeued after USR1"
release_when_held 60 "$job"
wait_for_state 60 "$job" COMPLETED || fail "job $job did not complete after the requeue"

cat "$work/out.txt"
expect_line "$work/out.txt" "start restart=0"
expect_line "$work/out.txt" "USR1 in batch shell"
expect_line "$work/out.txt" "start restart=1"
expect_line "$work/out.txt" "task 0 pmix rank 0"
expect_line "$work/out.txt" "task 1 pmix rank 1"
expect_line "$work/out.txt" "done"
echo "PASS: USR1 -> scontrol requeue -> restart with SLURM_RESTART_COUNT=1; srun --mpi=pmix starts 2 ranks"
