#!/usr/bin/env bash
# tests/slurm/train_requeue_test.sh on two nodes: slurm/train.sbatch with --nodes=2 --ntasks-per-node=2 on
# the Slurm of slurm_two_node.sh (one slurmd per namespace node). In mid-run the batch shell gets USR1;
#   - the 4 ranks commit a checkpoint at the step they stopped at and exit 5, the script requeues the job;
#   - the second start resumes from that step on both nodes again and the job ends COMPLETED;
#   - the metrics log holds every step exactly once; each start ran 2 ranks on each node.
# Usage: slurm_requeue_test.sh CAGCL_BINARY WORK_DIR [srun|mpirun]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/cluster/netns_cluster.sh
source "$here/netns_cluster.sh"
# shellcheck source=tests/cluster/train_helpers.sh
source "$here/train_helpers.sh"
# shellcheck source=tests/cluster/slurm_two_node.sh
source "$here/slurm_two_node.sh"
# shellcheck source=tests/slurm/job_helpers.sh
source "$root/tests/slurm/job_helpers.sh"

usage="usage: slurm_requeue_test.sh CAGCL_BINARY WORK_DIR [srun|mpirun]"
CAGCL=$(realpath "${1:?$usage}")
WORK=$(realpath "${2:?$usage}")
launcher=${3:-srun}
steps=${CAGCL_TEST_STEPS:-40}  # the ranks are held (signal_batch_mid_run) until the stop is on its way

cluster_up
ensure_data
slurm_two_node_start
on_exit() {
  local status=$?
  ((status == 0)) || { show_log "$work/job.out" 200; show_log "$metrics" 200; }
  slurm_two_node_stop "$status"
  cluster_stop "$status"
}
work=$SLURM_CLUSTER_DIR/work
metrics=
trap on_exit EXIT
mkdir -p "$work"

# Open MPI between the nodes: TCP on the veth link only (as cluster_mpirun), for srun's PMIx start too.
job=$(CAGCL_BIN=$CAGCL CAGCL_CONFIG=tiny CAGCL_DATA=$WORK/data CAGCL_RUNS=$work/runs CAGCL_STEPS=$steps \
  CAGCL_LAUNCHER=$launcher CAGCL_MAX_RESTARTS=3 OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader,tcp \
  OMPI_MCA_btl_tcp_if_include=$CLUSTER_SUBNET OMPI_MCA_oob_tcp_if_include=$CLUSTER_SUBNET \
  OMPI_MCA_plm_rsh_agent=/bin/false \
  sbatch --parsable --job-name=requeue-2n --chdir="$work" --output="$work/job.out" --nodes=2 \
  --ntasks-per-node=2 --gpus-per-node=0 --cpus-per-task=1 --time=10 \
  "$root/slurm/train.sbatch" --checkpoint-every 100000 --set train.val_every=100000 \
  --set train.val_zero_shot=false)
run=$work/runs/requeue-2n-$job
metrics=$run/metrics.jsonl
echo "submitted job $job (2 nodes x 2 ranks via $launcher), run dir $run"

wait_for_match 150 "$metrics" '"event":"step".*"step":2[,}]' || fail "job $job logged no second step in 150 s"
signal_batch_mid_run "$job" "$work/job.out" "$run"
echo "sent USR1 to the batch shell of job $job"
wait_for_restarts 60 "$job" 1 || fail "job $job was not requeued within 60 s of USR1"
echo "job $job requeued"
wait_for_state 150 "$job" COMPLETED || fail "job $job did not complete after its requeue"
[[ $(job_field "$job" Restarts) == 1 ]] || fail "job $job restarted $(job_field "$job" Restarts) times, expected 1"
cat "$work/job.out"
expect_line "$work/job.out" "SIGUSR1: asking the ranks to checkpoint and stop"
expect_line "$work/job.out" "stopped with a checkpoint; requeueing job $job"
expect_line "$work/job.out" "(SLURM_RESTART_COUNT=1)"
expect_line "$work/job.out" "finished: $run"

# Both starts: ranks 0,1 on cagcl-n1 and 2,3 on cagcl-n2, two MPI_COMM_TYPE_SHARED groups of 2.
python3 - "$work/job.out" <<'EOF'
import re, sys
lines = [m.groups() for m in re.finditer(r"\] rank (\d)/4 \(local (\d)/(\d)\) on (\S+),", open(sys.argv[1]).read())]
expected = sorted([(str(r), str(r % 2), "2", f"cagcl-n{r // 2 + 1}") for r in range(4)] * 2)
if sorted(lines) != expected:
    sys.exit(f"FAIL: Runtime lines of the two starts {sorted(lines)}, expected {expected}")
print("both starts: ranks 0,1 local 0,1 of 2 on cagcl-n1; ranks 2,3 local 0,1 of 2 on cagcl-n2")
EOF

python3 - "$metrics" "$steps" <<'EOF'
import json, sys
path, steps = sys.argv[1], int(sys.argv[2])
events = [json.loads(line) for line in open(path) if line.strip()]
starts = [i for i, e in enumerate(events) if e["event"] == "start"]
if len(starts) != 2 or [events[i]["restarts"] for i in starts] != [0, 1]:
    sys.exit(f"FAIL: {path}: starts {[events[i] for i in starts]}, expected restarts 0 and 1")
if [events[i]["world_size"] for i in starts] != [4, 4]:
    sys.exit(f"FAIL: {path}: world sizes {[events[i]['world_size'] for i in starts]}, expected 4 and 4")
first, second = events[starts[0]:starts[1]], events[starts[1]:]
stops = [e for e in first if e["event"] == "checkpoint"]
if len(stops) != 1 or not stops[0]["ok"]:
    sys.exit(f"FAIL: {path}: first start's checkpoints {stops}, expected one committed at the stop step")
stopped_at = stops[0]["step"]
first_steps = [e["step"] for e in first if e["event"] == "step"]
second_steps = [e["step"] for e in second if e["event"] == "step"]
if stopped_at >= steps or first_steps[-1:] != [stopped_at]:
    sys.exit(f"FAIL: {path}: stopped at {stopped_at}, first start's last step {first_steps[-1:]}")
if first_steps + second_steps != list(range(1, steps + 1)):
    sys.exit(f"FAIL: {path}: steps {first_steps} + {second_steps} are not 1..{steps} once each")
if events[-1]["event"] != "finish":
    sys.exit(f"FAIL: {path}: last event {events[-1]['event']}, expected finish")
print(f"stopped at step {stopped_at}, resumed at {stopped_at + 1} on both nodes, finished at {steps}")
EOF
echo "PASS: two-node Slurm job ($launcher): USR1 -> checkpoint -> requeue -> resume on 2 nodes -> complete"
