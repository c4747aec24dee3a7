#!/usr/bin/env bash
# Open MPI's plm_rsh_agent for the namespace cluster (netns_cluster.sh): mpirun calls it as it would call
# ssh, `rsh_agent.sh HOST COMMAND...`, to start its daemon on another node. Instead of logging in, it enters
# HOST's network and UTS namespaces and runs COMMAND there through sh, as sshd would (mpirun quotes the
# COMMAND words for a remote shell).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/cluster/netns_cluster.sh
source "$here/netns_cluster.sh"

host=${1:?usage: rsh_agent.sh HOST COMMAND...}
shift
node=$(node_of_host "$host") || { echo "rsh_agent.sh: unknown host '$host'" >&2; exit 255; }
exec nsenter --net="/run/netns/$(node_netns "$node")" --uts="$CLUSTER_STATE/uts-$node" -- /bin/sh -c "$*"
