#!/usr/bin/env bash
# Slurm across the two namespace nodes of netns_cluster.sh: munged and slurmctld on cagcl-n1, one slurmd per
# node (`slurmd -N cagcl-n1` in n1, `slurmd -N cagcl-n2` in n2), their spool, pid and log files told apart
# by %n. The same settings as tests/slurm/slurm_cluster.sh (root daemons, proctrack/linuxproc, task/affinity);
# only the two nodes differ. Source this file after netns_cluster.sh and train_helpers.sh, then:
#
#   slurm_two_node_start   # after cluster_up; sets SLURM_CLUSTER_DIR; returns once both nodes are idle
#   sbatch / squeue / scontrol / scancel / sinfo   # functions: the commands run on n1, next to slurmctld
#
# The daemons and every job process live in the nodes' namespaces, so cluster_down (the EXIT trap of
# cluster_up, and the cleanup fixture) ends them all; the directory is removed by slurm_two_node_stop.

# slurm_cluster_install (and the settings' explanations) come from the single-node cluster of the Slurm tests;
# the functions below that share its names replace its versions for two nodes.
# shellcheck source=tests/slurm/slurm_cluster.sh
source "$CLUSTER_HERE/../slurm/slurm_cluster.sh"

# The client commands reach slurmctld on n1's address, so they run in n1 (job_helpers.sh calls them too).
sbatch() { node_exec n1 sbatch "$@"; }
squeue() { node_exec n1 squeue "$@"; }
scontrol() { node_exec n1 scontrol "$@"; }
scancel() { node_exec n1 scancel "$@"; }
sinfo() { node_exec n1 sinfo "$@"; }

# What tests/slurm/job_helpers.sh expects of slurm_cluster.sh.
slurm_cluster_wait_for() { wait_for "$@"; }
slurm_cluster_stepd_alive() {
  [[ -n $(cluster_node_pids_named n1 slurmstepd) || -n $(cluster_node_pids_named n2 slurmstepd) ]]
}

slurm_two_node_idle() { [[ $(sinfo --noheader --Node --format=%T 2>/dev/null | tr '\n' ' ') == "idle idle " ]]; }

slurm_two_node_stop() {
  [[ -n ${SLURM_CLUSTER_DIR:-} && -d $SLURM_CLUSTER_DIR ]] || return 0
  if [[ -n ${1:-} && $1 != 0 ]]; then
    local file
    for file in "$SLURM_CLUSTER_DIR"/log/*.log; do
      [[ -f $file ]] && { echo "----- last lines of $file" >&2; tail -n 30 "$file" >&2; }
    done
  fi
  rm -rf "$SLURM_CLUSTER_DIR"
}

slurm_two_node_start() {
  slurm_cluster_install || { cluster_log "SKIP: cannot install ${SLURM_CLUSTER_PACKAGES[*]}"; exit 77; }
  SLURM_CLUSTER_DIR=$(mktemp -d /tmp/cagcl-slurm2.XXXXXX)
  chmod 755 "$SLURM_CLUSTER_DIR" # munged refuses group/world-writable directories on the socket's path
  local d=$SLURM_CLUSTER_DIR
  mkdir -p "$d/munge" "$d/state" "$d/log" "$d/run"
  local n1 n2
  n1=$(node_hostname n1)
  n2=$(node_hostname n2)
  mkdir -p "$d/spool-$n1" "$d/spool-$n2" "$d/tmp-$n1" "$d/tmp-$n2"
  dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$d/munge/munge.key"
  # munged on n1 (its socket is a file: both nodes reach it, as a shared key would on a real cluster).
  node_exec n1 munged --socket="$d/munge/munge.socket" --key-file="$d/munge/munge.key" --origin="$(node_addr n1)" \
    --pid-file="$d/run/munged.pid" --log-file="$d/log/munged.log" --seed-file="$d/munge/munged.seed" ||
    { cluster_log "munged did not start"; return 1; }

  cat >"$d/slurm.conf" <<EOF
# Written by tests/cluster/slurm_two_node.sh for one test run; removed with the directory.
ClusterName=cagcltwonode
SlurmctldHost=$n1($(node_addr n1))
SlurmctldPort=6817
SlurmdPort=6818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.socket
StateSaveLocation=$d/state
# %n: each slurmd (-N NODE) gets its own spool directory, pid file and log on the shared file system.
SlurmdSpoolDir=$d/spool-%n
# The nodes share /tmp: srun --mpi=pmix makes its per-step client directory under TmpFS, per node here.
TmpFS=$d/tmp-%n
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd-%n.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd-%n.log
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
KillWait=5
MinJobAge=600
InactiveLimit=0
NodeName=$n1 NodeHostname=$n1 NodeAddr=$(node_addr n1) CPUs=2 State=UNKNOWN
NodeName=$n2 NodeHostname=$n2 NodeAddr=$(node_addr n2) CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$n1,$n2 Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$d/slurm.conf
  # Ports are fixed: each node has its own network namespace, nothing else listens there.
  node_exec n1 slurmctld -i -f "$SLURM_CONF" || { cluster_log "slurmctld did not start"; return 1; }
  node_exec n1 slurmd -N "$n1" -f "$SLURM_CONF" || { cluster_log "slurmd on $n1 did not start"; return 1; }
  node_exec n2 slurmd -N "$n2" -f "$SLURM_CONF" || { cluster_log "slurmd on $n2 did not start"; return 1; }
  if ! wait_for 60 slurm_two_node_idle; then
    cluster_log "the nodes are not idle after 60 s:"
    sinfo >&2 || true
    return 1
  fi
  cluster_log "Slurm up in $d: $(sinfo --noheader --format='%N %T' | tr '\n' ' ')"
}
