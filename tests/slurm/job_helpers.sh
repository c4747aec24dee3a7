#!/usr/bin/env bash
# Small helpers for the Slurm tests: read a job's fields, wait for states, release requeued jobs.
# Sourced after slurm_cluster.sh (uses slurm_cluster_wait_for).

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# job_field JOB FIELD: one field of `scontrol show job` (e.g. JobState, Restarts, Reason, ExitCode).
job_field() {
  scontrol show job --oneliner "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

job_has_state() { [[ $(job_field "$1" JobState) == "$2" ]]; }
job_has_restarts() { [[ $(job_field "$1" Restarts) -ge $2 ]]; }
file_has_line() { [[ -f $1 ]] && grep -qF -- "$2" "$1"; }
file_matches() { [[ -f $1 ]] && grep -qE -- "$2" "$1"; }

wait_for_output() { slurm_cluster_wait_for "$1" file_has_line "$2" "$3"; }
wait_for_match() { slurm_cluster_wait_for "$1" file_matches "$2" "$3"; }
wait_for_restarts() { slurm_cluster_wait_for "$1" job_has_restarts "$2" "$3"; }

# A requeued job waits for its BeginTime (Slurm holds it back for about two minutes, time in which the
# previous start's steps are cleaned up on the node); a test does not want to wait that long, so it
# releases the job once it is pending for that reason and no slurmstepd of the previous start is left.
# (Released earlier, the new step can meet the old one's PMIx socket: "Cannot bind() UNIX socket
# .../stepd.slurm.pmix.J.0: Address already in use".) It also waits until the job has been held for 2 s:
# slurmd revokes the killed start's credential with a time stamp in whole seconds, and a new start whose
# credential is from that same second is refused ("Killing non-startable batch JobId=J: Job credential
# revoked"), which ends the job. Prints the job's state.
release_if_held() {
  local job=$1 state reason held_since mark
  state=$(job_field "$job" JobState)
  reason=$(job_field "$job" Reason)
  mark="$SLURM_CLUSTER_DIR/held-$job-$(job_field "$job" Restarts)"
  if [[ $state == PENDING && $reason == BeginTime ]] && ! slurm_cluster_stepd_alive; then
    [[ -f $mark ]] || date +%s >"$mark"
    held_since=$(<"$mark")
    if (($(date +%s) - held_since >= 2)); then
      scontrol update jobid="$job" StartTime=now
    fi
  fi
  echo "$state"
}

job_not_pending() { [[ $(release_if_held "$1") != PENDING ]]; }
release_when_held() { slurm_cluster_wait_for "$2" job_not_pending "$1" || true; }

# wait_for_state SECONDS JOB STATE: waits until JOB is in STATE, releasing it whenever it is held after a
# requeue. Fails early when the job ends in another final state.
wait_for_state() {
  local seconds=$1 job=$2 wanted=$3 state deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    state=$(release_if_held "$job")
    [[ $state == "$wanted" ]] && return 0
    case $state in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
        echo "job $job ended $state (exit $(job_field "$job" ExitCode)), expected $wanted" >&2
        return 1
        ;;
    esac
    sleep 0.2
  done
  echo "job $job is $state after ${seconds}s, expected $wanted" >&2
  return 1
}

expect_line() {
  file_has_line "$1" "$2" || fail "no line '$2' in $1"
}


# ranks_of RUN: the pids of the cagcl processes whose command line names RUN (not srun's, not other tests').
ranks_of() {
  local pid
  for pid in $(pgrep -x cagcl); do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$1" && echo "$pid"
  done
  return 0
}

# signal_batch_mid_run JOB OUTPUT RUN: USR1 to JOB's batch shell as `--signal=B:USR1` sends it, landing mid-run.
# Slurm can take seconds to deliver a signal on a loaded machine, and a test job of 15 ms steps may end meanwhile:
# the ranks training RUN are stopped (SIGSTOP) until the batch shell's trap has said (in OUTPUT) that it passes
# the signal on, then continued. They stay well inside the failure timeout.
signal_batch_mid_run() {
  local job=$1 output=$2 run=$3 pids
  mapfile -t pids < <(ranks_of "$run")
  ((${#pids[@]})) || fail "no cagcl rank of $run is running"
  kill -STOP "${pids[@]}"
  scancel --signal=USR1 --batch "$job" || { kill -CONT "${pids[@]}"; fail "scancel --signal=USR1 --batch $job"; }
  if ! slurm_cluster_wait_for 60 file_has_line "$output" "SIGUSR1: asking the ranks"; then
    kill -CONT "${pids[@]}"
    fail "the batch shell of job $job did not take USR1 within 60 s"
  fi
  kill -CONT "${pids[@]}" 2>/dev/null || true
}
