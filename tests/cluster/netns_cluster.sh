#!/usr/bin/env bash
# A throw-away two-node cluster on one machine, for the cluster tests: two network namespaces (the "nodes"
# cagcl-n1 and cagcl-n2), each with its own UTS namespace (host names cagcl-n1 and cagcl-n2) and one end of
# a veth pair (10.213.77.1/24 in n1, 10.213.77.2/24 in n2). Open MPI's mpirun runs in n1 and starts its
# daemon on n2 through tests/cluster/rsh_agent.sh, which enters n2's namespaces where ssh would log in.
# Source this file, then:
#
#   cluster_up                    # creates the nodes and the link; installs an EXIT trap that removes them
#   node_exec n1 CMD...           # runs CMD on a node (its network and UTS namespaces)
#   cluster_mpirun NP HOSTS ARGS  # mpirun inside n1, e.g. cluster_mpirun 4 10.213.77.1:2,10.213.77.2:2 cagcl ...
#   link_bytes                    # bytes sent + received on n1's end of the link so far
#   link_down / link_up           # cuts and restores the link
#   cluster_down                  # kills every process on the nodes, removes namespaces and link (idempotent)
#
# Exit code 77 (CTest's skip code) when the cluster cannot be built here for a reason that is not a bug:
# not root, or a tool is missing. A test that needs its own EXIT trap calls cluster_down from it.
#
# Every name is fixed (cagcl-n1, cagcl-n2, cagcl-v1, cagcl-v2, /run/cagcl-cluster), so the tests share one
# CTest RESOURCE_LOCK and the cleanup fixture (cleanup.sh) can remove what a killed test left behind.

CLUSTER_NODES=(n1 n2)
CLUSTER_SUBNET=10.213.77.0/24
CLUSTER_STATE=/run/cagcl-cluster   # the UTS namespaces, bind-mounted on files (persistent without a process)
CLUSTER_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

cluster_log() { echo "netns-cluster: $*" >&2; }

# The names of a node ("n1" / "n2"): its namespace, its end of the link, its address and host name.
node_netns() { echo "cagcl-$1"; }
node_link() { echo "cagcl-v${1#n}"; }
node_addr() { echo "10.213.77.${1#n}"; }
node_hostname() { echo "cagcl-$1"; }

# The node a host name or address given to mpirun stands for (what rsh_agent.sh receives), or nothing.
node_of_host() {
  local node
  for node in "${CLUSTER_NODES[@]}"; do
    if [[ $1 == "$node" || $1 == "$(node_addr "$node")" || $1 == "$(node_hostname "$node")" ]]; then
      echo "$node"
      return 0
    fi
  done
  return 1
}

node_exec() {
  local node=$1
  shift
  nsenter --net="/run/netns/$(node_netns "$node")" --uts="$CLUSTER_STATE/uts-$node" -- "$@"
}

cluster_require() {
  if [[ $(id -u) -ne 0 ]]; then
    cluster_log "SKIP: needs root (network namespaces, veth links)"
    exit 77
  fi
  local tool
  for tool in ip nsenter unshare mpirun python3; do
    command -v "$tool" >/dev/null || { cluster_log "SKIP: $tool is not installed"; exit 77; }
  done
  if ! ip netns add cagcl-probe 2>/dev/null; then
    cluster_log "SKIP: cannot create a network namespace here (ip netns add)"
    exit 77
  fi
  ip netns del cagcl-probe
}

# Pids of the processes living on a node (in its network namespace), except the caller's own shells.
cluster_node_pids() {
  local pid
  [[ -e /run/netns/$(node_netns "$1") ]] || return 0
  for pid in $(ip netns pids "$(node_netns "$1")" 2>/dev/null); do
    [[ $pid == "$$" || $pid == "$BASHPID" ]] || echo "$pid"
  done
}

# Pids of the processes named NAME (comm) on a node.
cluster_node_pids_named() {
  local pid comm
  for pid in $(cluster_node_pids "$1"); do
    read -r comm 2>/dev/null <"/proc/$pid/comm" || continue
    [[ $comm == "$2" ]] && echo "$pid"
  done
  return 0
}

# Removes everything cluster_up creates, whatever state a failed or killed test left it in. Safe to call when
# nothing exists (the cleanup fixture calls it before and after the tests).
cluster_down() {
  local node pid link
  for node in "${CLUSTER_NODES[@]}"; do
    for pid in $(cluster_node_pids "$node"); do kill -KILL "$pid" 2>/dev/null || true; done
  done
  for node in "${CLUSTER_NODES[@]}"; do
    # A killed process leaves the namespace once it is reaped; deleting the namespace then frees the link.
    [[ -e /run/netns/$(node_netns "$node") ]] && ip netns del "$(node_netns "$node")" 2>/dev/null
    if [[ -e $CLUSTER_STATE/uts-$node ]]; then
      umount "$CLUSTER_STATE/uts-$node" 2>/dev/null || true
      rm -f "$CLUSTER_STATE/uts-$node"
    fi
    link=$(node_link "$node")
    # Left in the root namespace when a set-up was cut short before the move.
    ip link show "$link" >/dev/null 2>&1 && ip link del "$link" 2>/dev/null
  done
  rm -rf "$CLUSTER_STATE"
  return 0
}

# Deletes the nodes on any exit of the test (pass, fail, Ctrl-C, CTest's TERM, the deadline below).
cluster_stop() {
  local status=${1:-$?}
  trap - EXIT
  trap '' INT TERM
  if [[ -n ${CLUSTER_WATCHDOG:-} ]]; then
    kill "$CLUSTER_WATCHDOG" 2>/dev/null || true
    unset CLUSTER_WATCHDOG
  fi
  if [[ -n ${CLUSTER_KEEP:-} ]]; then
    cluster_log "CLUSTER_KEEP set: leaving the nodes up"
    return "$status"
  fi
  cluster_down
  cluster_log "nodes and link removed"
  return "$status"
}

cluster_up() {
  cluster_require
  cluster_down
  trap cluster_stop EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # Processes in the namespaces would outlive a test that CTest kills at its timeout (the cleanup fixture
  # would still remove them), so the test ends itself first: TERM -> exit -> EXIT trap -> cluster_stop.
  if [[ -n ${CLUSTER_DEADLINE_S:-} ]]; then
    (sleep "$CLUSTER_DEADLINE_S" && cluster_log "deadline of ${CLUSTER_DEADLINE_S}s reached" &&
      kill -TERM $$) </dev/null >/dev/null 2>&1 &
    CLUSTER_WATCHDOG=$!
  fi
  mkdir -p "$CLUSTER_STATE"
  local node
  ip link add "$(node_link n1)" type veth peer name "$(node_link n2)"
  for node in "${CLUSTER_NODES[@]}"; do
    ip netns add "$(node_netns "$node")"
    ip link set "$(node_link "$node")" netns "$(node_netns "$node")"
    ip -n "$(node_netns "$node")" link set lo up
    ip -n "$(node_netns "$node")" addr add "$(node_addr "$node")/24" dev "$(node_link "$node")"
    ip -n "$(node_netns "$node")" link set "$(node_link "$node")" up
    # Its own UTS namespace, kept by a bind mount on a file, so that every process entering the node sees
    # the same host name.
    touch "$CLUSTER_STATE/uts-$node"
    unshare --uts="$CLUSTER_STATE/uts-$node" hostname "$(node_hostname "$node")"
  done
  cluster_reachable || { cluster_log "n1 cannot reach n2 over the veth link"; return 1; }
  cluster_log "up: n1 $(node_addr n1) ($(node_exec n1 hostname)), n2 $(node_addr n2) ($(node_exec n2 hostname))"
}

# Bytes received + sent on n1's end of the veth link: every byte between the nodes crosses it.
link_bytes() {
  local dir
  dir=/sys/class/net/$(node_link n1)/statistics
  # /sys shows the namespace of the process that mounted it: read it in a fresh mount of the node's own.
  ip netns exec "$(node_netns n1)" sh -c "echo \$((\$(cat $dir/rx_bytes) + \$(cat $dir/tx_bytes)))"
}

# Whether n1 reaches n2: a TCP connection to a closed port of n2 is refused at once (n2 answered) rather
# than timing out.
cluster_reachable() {
  node_exec n1 python3 -c '
import socket, sys
try:
    socket.create_connection((sys.argv[1], 9), timeout=5)
except ConnectionRefusedError:
    sys.exit(0)
except OSError:
    sys.exit(1)' "$(node_addr n2)"
}

link_down() { ip -n "$(node_netns n1)" link set "$(node_link n1)" down; }
link_up() {
  ip -n "$(node_netns n1)" link set "$(node_link n1)" up
  cluster_reachable
}

# mpirun inside n1: NP ranks on HOSTS (host:slots,...), the other node reached through rsh_agent.sh.
# Shared memory (vader) only joins ranks of the same node; between the nodes everything is TCP on the veth
# link (btl/oob_tcp_if_include), and pml ob1 keeps UCX (with its own shared-memory transports) out.
cluster_mpirun() {
  local np=$1 hosts=$2
  shift 2
  node_exec n1 mpirun --allow-run-as-root --bind-to none -np "$np" --host "$hosts" \
    --mca plm rsh --mca plm_rsh_agent "$CLUSTER_HERE/rsh_agent.sh" --mca plm_rsh_no_tree_spawn 1 \
    --mca pml ob1 --mca btl self,vader,tcp --mca btl_tcp_if_include "$CLUSTER_SUBNET" \
    --mca oob_tcp_if_include "$CLUSTER_SUBNET" "$@"
}
