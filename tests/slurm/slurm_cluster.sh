#!/usr/bin/env bash
# A throw-away single-node Slurm cluster for the integration tests: munged, slurmctld and slurmd as root on
# loopback, everything (config, munge key, state, spool, logs) in one temporary directory, private ports.
# Source this file, then:
#
#   slurm_cluster_start        # sets SLURM_CONF (exported) and SLURM_CLUSTER_DIR; returns once the node is idle
#   ... sbatch / squeue / scontrol as usual ...
#   slurm_cluster_stop         # cancels the jobs, stops the daemons, removes the directory (idempotent)
#
# slurm_cluster_start installs an EXIT trap that calls slurm_cluster_stop, so the daemons and files go away
# whether the test passes, fails or is interrupted. A test that needs its own EXIT trap calls
# slurm_cluster_stop from it.
#
# Exit code 77 (CTest's skip code) when the cluster cannot be set up here for a reason that is not a bug:
# not root, or the Debian packages are missing and cannot be installed.
#
# Why these settings: in a container without systemd or cgroup delegation, proctrack/linuxproc (process
# tracking by parent pid) and task/affinity (binding by sched_setaffinity, no cgroups) are what works;
# TaskPluginParam=autobind=cores binds every task to its --cpus-per-task cores, as a site that binds cores does,
# so that a rank's CPU mask shows what srun gave it (tests/slurm/cpu_binding_test.sh; under task/none every
# task has the whole machine and that test could not fail); SlurmUser=root because the daemons run as the test's
# user; loopback addresses and free ports so that the test never meets a site's real Slurm nor another copy of
# itself.

SLURM_CLUSTER_NODE=${SLURM_CLUSTER_NODE:-cagcl-node}
SLURM_CLUSTER_CPUS=${SLURM_CLUSTER_CPUS:-2}
SLURM_CLUSTER_PACKAGES=(slurm-wlm munge)

slurm_cluster_log() { echo "slurm-cluster: $*" >&2; }

# Installs slurm-wlm and munge when they are missing. Installing them never starts their system services
# here: the Debian packages start them through invoke-rc.d, which policy-rc.d (containers) or the absence of
# systemd turns into a no-op, and even a running system munged/slurmd would not meet ours (own socket, own
# ports, own config).
slurm_cluster_install() {
  local missing=() package
  for package in "${SLURM_CLUSTER_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  ((${#missing[@]} == 0)) && return 0
  slurm_cluster_log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends \
    "${missing[@]}" >&2 ||
    { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >&2; }
}

# Prints a TCP port on 127.0.0.1 that nothing listens on now (the kernel picks it).
slurm_cluster_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Polls CONDITION (a command) every 0.2 s for at most SECONDS seconds; returns its last status.
slurm_cluster_wait_for() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

slurm_cluster_node_idle() {
  [[ $(sinfo --noheader --nodes="$SLURM_CLUSTER_NODE" --format=%T 2>/dev/null) == idle ]]
}

slurm_cluster_dump_logs() {
  local log
  for log in "$SLURM_CLUSTER_DIR"/log/*.log; do
    [[ -f $log ]] || continue
    echo "----- last lines of $log" >&2
    tail -n 30 "$log" >&2
  done
}

slurm_cluster_start() {
  if [[ $(id -u) -ne 0 ]]; then
    slurm_cluster_log "SKIP: needs root (the daemons run as root with SlurmUser=root)"
    exit 77
  fi
  slurm_cluster_install || { slurm_cluster_log "SKIP: cannot install ${SLURM_CLUSTER_PACKAGES[*]}"; exit 77; }

  SLURM_CLUSTER_DIR=$(mktemp -d /tmp/cagcl-slurm.XXXXXX)
  chmod 755 "$SLURM_CLUSTER_DIR"   # munged refuses group/world-writable directories on the socket's path
  trap slurm_cluster_stop EXIT
  # A signal (Ctrl-C, CTest's or the watchdog's TERM) ends the script through exit, so the EXIT trap runs.
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # The daemons fork into the background and would survive a test killed from outside, so the test ends
  # itself (TERM -> EXIT trap -> stop) before the CTest timeout can SIGKILL it.
  if [[ -n ${SLURM_CLUSTER_DEADLINE_S:-} ]]; then
    (sleep "$SLURM_CLUSTER_DEADLINE_S" && slurm_cluster_log "deadline of ${SLURM_CLUSTER_DEADLINE_S}s reached" &&
      kill -TERM $$) </dev/null >/dev/null 2>&1 &
    SLURM_CLUSTER_WATCHDOG=$!
  fi
  local d=$SLURM_CLUSTER_DIR
  mkdir -p "$d/munge" "$d/state" "$d/spool" "$d/log" "$d/run" "$d/tmp"

  dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$d/munge/munge.key"
  SLURM_CLUSTER_OWNER=$d munged --socket="$d/munge/munge.socket" --key-file="$d/munge/munge.key" --pid-file="$d/run/munged.pid" \
    --log-file="$d/log/munged.log" --seed-file="$d/munge/munged.seed" ||
    { slurm_cluster_log "munged did not start"; return 1; }

  local ctld_port slurmd_port
  ctld_port=$(slurm_cluster_free_port)
  slurmd_port=$(slurm_cluster_free_port)
  while [[ $slurmd_port == "$ctld_port" ]]; do slurmd_port=$(slurm_cluster_free_port); done

  cat >"$d/slurm.conf" <<EOF
# Written by tests/slurm/slurm_cluster.sh for one test run; removed with the directory.
ClusterName=cagcltest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.socket
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
# srun --mpi=pmix makes its per-step directory (spmix_appdir_UID_JOB.STEP) under TmpFS: each test cluster numbers
# its jobs from 1, so under the shared /tmp a directory left by an earlier cluster could meet a new one's.
TmpFS=$d/tmp
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
TaskPluginParam=autobind=cores
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SlurmdParameters=config_overrides
# Short waits so that a test does not sit idle: SIGKILL 5 s after SIGTERM, and finished jobs stay visible
# to scontrol for 10 minutes.
KillWait=5
MinJobAge=600
InactiveLimit=0
NodeName=$SLURM_CLUSTER_NODE NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$SLURM_CLUSTER_CPUS State=UNKNOWN
PartitionName=debug Nodes=$SLURM_CLUSTER_NODE Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$d/slurm.conf

  SLURM_CLUSTER_OWNER=$d slurmctld -i -f "$SLURM_CONF" ||
    { slurm_cluster_log "slurmctld did not start"; return 1; }
  SLURM_CLUSTER_OWNER=$d slurmd -N "$SLURM_CLUSTER_NODE" -f "$SLURM_CONF" ||
    { slurm_cluster_log "slurmd did not start"; return 1; }
  if ! slurm_cluster_wait_for 60 slurm_cluster_node_idle; then
    slurm_cluster_log "node $SLURM_CLUSTER_NODE not idle after 60 s:"
    sinfo >&2 || true
    return 1
  fi
  slurm_cluster_log "up in $d (slurmctld :$ctld_port, slurmd :$slurmd_port)"
}

# Whether process PID belongs to this cluster: the daemons (SLURM_CLUSTER_OWNER, set only in their
# environment), slurmstepd (it overwrites its environment with its title, but works in the cluster's log
# directory), or a job's process (SLURM_JOB_ID set and our SLURM_CONF). The test script itself has our
# SLURM_CONF but no job id, so it never matches.
slurm_cluster_is_own() {
  local environ=/proc/$1/environ cwd
  cwd=$(readlink "/proc/$1/cwd" 2>/dev/null) || return 1
  [[ $cwd == "$SLURM_CLUSTER_DIR" || $cwd == "$SLURM_CLUSTER_DIR"/* ]] && return 0
  grep -qzxF "SLURM_CLUSTER_OWNER=$SLURM_CLUSTER_DIR" 2>/dev/null <"$environ" && return 0
  grep -qzxF "SLURM_CONF=$SLURM_CLUSTER_DIR/slurm.conf" 2>/dev/null <"$environ" &&
    grep -qz '^SLURM_JOB_ID=' 2>/dev/null <"$environ"
}

# Pids of this cluster's processes: slurmd, slurmctld, every slurmstepd and job process they started.
# slurmstepd outlives slurmd, so it is found this way rather than as a child.
slurm_cluster_own_pids() {
  local environ pid
  for environ in /proc/[0-9]*/environ; do
    pid=${environ#/proc/}
    pid=${pid%/environ}
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    slurm_cluster_is_own "$pid" && echo "$pid"
  done
  return 0
}

# Whether a slurmstepd of this cluster is still alive (a finished or requeued job's steps are cleaned up
# after the controller already counts the job as done).
slurm_cluster_stepd_alive() {
  local comm_file comm pid
  for comm_file in /proc/[0-9]*/comm; do
    read -r comm 2>/dev/null <"$comm_file" || continue
    [[ $comm == slurmstepd ]] || continue
    pid=${comm_file#/proc/}
    pid=${pid%/comm}
    slurm_cluster_is_own "$pid" && return 0
  done
  return 1
}

slurm_cluster_no_active_jobs() { [[ -z $(squeue --noheader --states=RUNNING,COMPLETING 2>/dev/null) ]]; }
slurm_cluster_pid_gone() { ! kill -0 "$1" 2>/dev/null; }

slurm_cluster_kill_pidfile() {
  local file=$1 pid
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  kill "$pid" 2>/dev/null || return 0
  slurm_cluster_wait_for 10 slurm_cluster_pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
}

slurm_cluster_stop() {
  local status=${1:-$?}
  [[ -n ${SLURM_CLUSTER_DIR:-} && -d $SLURM_CLUSTER_DIR ]] || return "$status"
  trap - EXIT
  # Nothing may cut the clean-up short: no watchdog, no second Ctrl-C.
  trap '' INT TERM
  if [[ -n ${SLURM_CLUSTER_WATCHDOG:-} ]]; then
    kill "$SLURM_CLUSTER_WATCHDOG" 2>/dev/null || true
    unset SLURM_CLUSTER_WATCHDOG
  fi
  local d=$SLURM_CLUSTER_DIR
  if [[ -n ${SLURM_CLUSTER_KEEP:-} ]]; then
    slurm_cluster_log "SLURM_CLUSTER_KEEP set: leaving the daemons up in $d"
    return "$status"
  fi
  if ((status != 0)); then
    slurm_cluster_dump_logs
  fi
  scancel --full --quiet --user=root 2>/dev/null || true
  slurm_cluster_wait_for 15 slurm_cluster_no_active_jobs || true
  slurm_cluster_kill_pidfile "$d/run/slurmd.pid"
  slurm_cluster_kill_pidfile "$d/run/slurmctld.pid"
  local pid
  for pid in $(slurm_cluster_own_pids); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  slurm_cluster_kill_pidfile "$d/run/munged.pid"
  rm -rf "$d"
  unset SLURM_CLUSTER_DIR
  slurm_cluster_log "stopped and removed $d"
  return "$status"
}
