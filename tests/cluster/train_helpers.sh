#!/usr/bin/env bash
# What the namespace-cluster tests share: the training command, waiting for steps and for ranks to end.
# shellcheck disable=SC2034  # the variables are for the scripts that source this file
# Sourced after netns_cluster.sh. The caller sets CAGCL (the binary) and WORK (the tests' work directory,
# shared with the other cluster tests: the dataset and the uninterrupted reference run live there).

# The run every test makes: the `tiny` preset, TRAIN_STEPS steps, a checkpoint every 2 steps, no
# validation (it only costs time here), and a short failure timeout so that faults end the job quickly.
TRAIN_STEPS=8
FAILURE_TIMEOUT_S=${CLUSTER_FAILURE_TIMEOUT_S:-10}
TWO_NODES="$(node_addr n1):2,$(node_addr n2):2"
ONE_NODE="$(node_addr n1):2"
CHECK_RUN=("${PYTHON:-python3}" "$CLUSTER_HERE/check_run.py")

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Polls CONDITION (a command) every 0.2 s for at most SECONDS seconds; returns its last status.
wait_for() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

train_args() {
  local run=$1 steps=$2
  shift 2
  echo "$CAGCL" train --config tiny --data "$WORK/data" --out "$run" --steps "$steps" --checkpoint-every 2 \
    --set train.val_every=100000 --set train.val_zero_shot=false \
    --set "comm.failure_timeout_s=$FAILURE_TIMEOUT_S" "$@"
}

# cluster_train NP HOSTS RUN LOG STEPS [ARGS...]: trains in the foreground; returns mpirun's exit status.
cluster_train() {
  local np=$1 hosts=$2 run=$3 log=$4 steps=$5
  shift 5
  local args
  read -r -a args <<<"$(train_args "$run" "$steps" "$@")"
  echo "+ mpirun -np $np --host $hosts ${args[*]}" >"$log"
  cluster_mpirun "$np" "$hosts" "${args[@]}" >>"$log" 2>&1
}

# The dataset of the tiny preset (16 phantoms of 32x64x64, 2 shards), written once for all cluster tests.
ensure_data() {
  # Kept between tests only while this build reads it (a dataset of an older schema is written again).
  [[ -f $WORK/data/dataset.json ]] && "$CAGCL" --log-level error inspect "$WORK/data" >/dev/null 2>&1 && return 0
  rm -rf "$WORK/data"
  "$CAGCL" synth --out "$WORK/data" --volumes 16 --shards 2 --size 32x64x64 --seed 42 >/dev/null
}

step_logged() {
  [[ -f $1/metrics.jsonl ]] && grep -qE "\"event\":\"step\".*\"step\":$2[,}]" "$1/metrics.jsonl"
}

# The cagcl processes still alive on both nodes.
cagcl_pids() {
  cluster_node_pids_named n1 cagcl
  cluster_node_pids_named n2 cagcl
}
no_cagcl_left() { [[ -z $(cagcl_pids) ]]; }

# The pid of world rank R's cagcl process (read from its environment) on NODE.
rank_pid() {
  local node=$1 rank=$2 pid
  for pid in $(cluster_node_pids_named "$node" cagcl); do
    if grep -qzxF "OMPI_COMM_WORLD_RANK=$rank" "/proc/$pid/environ" 2>/dev/null; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

show_log() {
  echo "----- $1" >&2
  tail -n "${2:-60}" "$1" >&2 || true
}
