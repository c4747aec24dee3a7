#!/usr/bin/env bash
# A fault in the middle of a step of a 4-rank run on the two-node namespace cluster (netns_cluster.sh):
#   link-cut   the veth link between the nodes goes down once step 3 is logged;
#   rank-kill  world rank 3 (on the second node, cagcl-n2) gets SIGKILL once step 3 is logged.
# Checks:
#   - the job ends: every cagcl rank on both nodes exits, within comm.failure_timeout_s plus a margin for
#     the abort to spread (a bound against a hang, not a speed test), and mpirun exits non-zero;
#   - the output names the peers that were lost;
#   - with the link back, `--resume auto` on the same 4 ranks continues at the step after the last
#     committed checkpoint and ends with the model weights and every step's loss bit-identical to the
#     uninterrupted run of two_node_train_test.sh (WORK/reference): nothing is lost or repeated wrongly.
# Usage: fault_test.sh CAGCL_BINARY WORK_DIR link-cut|rank-kill
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/cluster/netns_cluster.sh
source "$here/netns_cluster.sh"
# shellcheck source=tests/cluster/train_helpers.sh
source "$here/train_helpers.sh"

usage="usage: fault_test.sh CAGCL_BINARY WORK_DIR link-cut|rank-kill"
CAGCL=$(realpath "${1:?$usage}")
WORK=$(realpath "${2:?$usage}")
fault=${3:?$usage}
case $fault in link-cut | rank-kill) ;; *) echo "$usage" >&2; exit 2 ;; esac
cluster_require # skips (77) where the nodes cannot be made, before looking for the reference run
ref=$WORK/reference
[[ -f $WORK/reference.done ]] || fail "no uninterrupted reference run in $ref (cluster.two_node_train makes it)"
# Time the abort may take to reach every rank after the failure timeout fired (a hang bound only).
margin_s=${CLUSTER_ABORT_MARGIN_S:-30}

cluster_up
run=$WORK/$fault
log=$WORK/$fault.log
rm -rf "$run"
cluster_train 4 "$TWO_NODES" "$run" "$log" "$TRAIN_STEPS" &
train=$!
if ! wait_for 180 step_logged "$run" 3; then
  show_log "$log"
  fail "the run logged no step 3 in 180 s"
fi

start=$SECONDS
if [[ $fault == link-cut ]]; then
  link_down
  echo "cut the link after step 3; the ranks wait at most ${FAILURE_TIMEOUT_S}s for a collective"
else
  victim=$(rank_pid n2 3) || { show_log "$log"; fail "no cagcl process of rank 3 on n2"; }
  kill -KILL "$victim"
  echo "killed rank 3 (pid $victim on cagcl-n2) after step 3"
fi

if ! wait_for $((FAILURE_TIMEOUT_S + margin_s)) no_cagcl_left; then
  show_log "$log" 80
  fail "cagcl ranks still alive $((SECONDS - start))s after the $fault: pids $(cagcl_pids | tr '\n' ' ')"
fi
echo "every cagcl rank exited $((SECONDS - start))s after the $fault"
train_gone() { ! kill -0 "$train" 2>/dev/null; }
if [[ $fault == link-cut ]]; then
  # mpirun (on n1) cannot reach its daemon on n2 to end the job: it waits for the link, as it would for a
  # network that heals. (With the link down for good, a site's launcher or scheduler ends the step.)
  if wait_for 5 train_gone; then
    echo "mpirun exited with the link down"
  else
    echo "mpirun waits for the daemon on n2; restoring the link"
  fi
  link_up || fail "the link did not come back"
fi
wait_for "$margin_s" train_gone || { show_log "$log" 80; fail "mpirun still running after its ranks exited"; }
status=0
wait "$train" || status=$?
echo "mpirun exited $((SECONDS - start))s after the $fault with status $status"
cat "$log"
((status != 0)) || fail "mpirun exited 0 after the $fault"
# The lost peers, by name. After the cut, ranks 0 and 1 (n1, whose output reaches mpirun) time out and
# must name ranks 2 and 3 on cagcl-n2, and only them, as the peers that did not answer. After the kill,
# mpirun names the dead rank and its node.
if [[ $fault == link-cut ]]; then
  said=$(grep -E "\] rank [01] failed: " "$log" || true)
  [[ -n $said ]] || fail "neither rank 0 nor rank 1 (on cagcl-n1) said why it failed"
  named='did not answer[^:]*: rank 2 \(cagcl-n2\), rank 3 \(cagcl-n2\)(;|$)'
  while read -r line; do
    [[ $line =~ $named ]] ||
      fail "a rank of cagcl-n1 failed without naming ranks 2 and 3 on cagcl-n2 as unreachable: $line"
  done <<<"$said"
else
  grep -qE "process rank 3 with PID $victim on node ($(node_addr n2)|cagcl-n2) exited on signal 9" "$log" ||
    fail "the output does not name rank 3 on cagcl-n2 as killed"
fi

committed=$("${CHECK_RUN[@]}" latest "$run")
echo "last committed checkpoint: step $committed"
((committed < TRAIN_STEPS)) || fail "the run committed its last step before the $fault: the test proves nothing"
cluster_train 4 "$TWO_NODES" "$run" "$WORK/$fault-resume.log" "$TRAIN_STEPS" --resume auto ||
  { show_log "$WORK/$fault-resume.log"; fail "the resume after the $fault failed"; }
cat "$WORK/$fault-resume.log"
if ((committed > 0)); then
  grep -qF "resumed from $run/checkpoints/$(printf 'step-%08d' "$committed")" "$WORK/$fault-resume.log" ||
    fail "the resume did not say it continued from step $committed"
fi
"${CHECK_RUN[@]}" resumed "$run" "$committed" "$TRAIN_STEPS" 4
"${CHECK_RUN[@]}" same "$run" "$ref"
echo "PASS: $fault: the job ended, named the lost peers, and resumed from step $committed losing nothing"
