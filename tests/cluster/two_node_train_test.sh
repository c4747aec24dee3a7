#!/usr/bin/env bash
# `cagcl train` on a real two-node cluster made of network namespaces (netns_cluster.sh): 4 ranks, 2 per
# node, Open MPI over TCP on a veth link, the daemon of the second node started through plm_rsh_agent.
# Checks:
#   - it really is two nodes: each rank's Runtime line shows its node's host name (cagcl-n1 / cagcl-n2),
#     the MPI_COMM_TYPE_SHARED split gives two groups of 2 (local ranks 0,1 on each), each rank runs
#     cores / 2 intra-op threads, and the bytes counted on the veth link grow while the run trains;
#   - the run trains every step and commits its checkpoints (every rank's optimizer shard);
#   - `--resume auto` on one node (2 ranks in n1) continues from the last committed step.
# The uninterrupted run is kept in WORK/reference: the fault tests compare their resumed runs with it.
# Usage: two_node_train_test.sh CAGCL_BINARY WORK_DIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/cluster/netns_cluster.sh
source "$here/netns_cluster.sh"
# shellcheck source=tests/cluster/train_helpers.sh
source "$here/train_helpers.sh"

CAGCL=$(realpath "${1:?usage: two_node_train_test.sh CAGCL_BINARY WORK_DIR}")
WORK=${2:?usage: two_node_train_test.sh CAGCL_BINARY WORK_DIR}
mkdir -p "$WORK"
WORK=$(realpath "$WORK")
rm -f "$WORK/reference.done"

cluster_up
ensure_data

ref=$WORK/reference
log=$WORK/reference.log
rm -rf "$ref"
bytes_before=$(link_bytes)
cluster_train 4 "$TWO_NODES" "$ref" "$log" "$TRAIN_STEPS" &
train=$!
# Sampled while the run trains: after step 2 is logged, six more steps' gradients still have to cross.
if ! wait_for 180 step_logged "$ref" 2; then
  show_log "$log"
  fail "the two-node run logged no step 2 in 180 s"
fi
bytes_during=$(link_bytes)
status=0
wait "$train" || status=$?
((status == 0)) || { show_log "$log"; fail "the two-node run failed (mpirun exit $status)"; }
bytes_after=$(link_bytes)
cat "$log"

"${CHECK_RUN[@]}" layout "$log" 4 2 "$(node_hostname n1)" "$(node_hostname n2)"
echo "bytes on the veth link: $bytes_before before, $bytes_during at step 2, $bytes_after at the end"
((bytes_during > bytes_before && bytes_after > bytes_during)) ||
  fail "the bytes counted on the veth link did not grow during the run ($bytes_before, $bytes_during, $bytes_after)"

[[ $("${CHECK_RUN[@]}" latest "$ref") == "$TRAIN_STEPS" ]] ||
  fail "checkpoints/LATEST of $ref is not step $TRAIN_STEPS"
step_dir=$ref/checkpoints/$(printf 'step-%08d' "$TRAIN_STEPS")
for file in manifest.json model.safetensors optimizer-rank-00000-of-00004.safetensors \
  optimizer-rank-00003-of-00004.safetensors; do
  [[ -f $step_dir/$file ]] || fail "no $step_dir/$file"
done
"${CHECK_RUN[@]}" resumed "$ref" 0 "$TRAIN_STEPS" 4
touch "$WORK/reference.done"

# Continue a copy of the run on one node: 2 ranks in n1, both local to it, 2 more steps.
one=$WORK/resume-one-node
rm -rf "$one"
cp -a "$ref" "$one"
more=$((TRAIN_STEPS + 2))
cluster_train 2 "$ONE_NODE" "$one" "$WORK/resume-one-node.log" "$more" --resume auto ||
  { show_log "$WORK/resume-one-node.log"; fail "the one-node resume failed"; }
cat "$WORK/resume-one-node.log"
grep -qF "resumed from $one/checkpoints/$(printf 'step-%08d' "$TRAIN_STEPS")" "$WORK/resume-one-node.log" ||
  fail "the one-node run did not say it resumed from step $TRAIN_STEPS"
"${CHECK_RUN[@]}" layout "$WORK/resume-one-node.log" 2 2 "$(node_hostname n1)"
"${CHECK_RUN[@]}" resumed "$one" "$TRAIN_STEPS" "$more" 2
echo "PASS: 4 ranks on two namespace nodes trained and checkpointed over TCP; resumed on one node"
