#!/usr/bin/env bash
# The cleanup fixture of the namespace-cluster tests (CTest FIXTURES_SETUP and FIXTURES_CLEANUP): kills every
# process left on the nodes, deletes the namespaces cagcl-n1/cagcl-n2, the veth link and the UTS mounts.
# A test removes them itself when it ends; this catches what a test killed by CTest's timeout (SIGKILL, no
# EXIT trap) left behind, before the first cluster test and after the last. 77 (skipped) when not root:
# nothing can have been created then.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/cluster/netns_cluster.sh
source "$here/netns_cluster.sh"

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: not root, no namespace can exist"
  exit 77
fi
left=$(ip netns list 2>/dev/null | grep -cE '^cagcl-n[12]( |$)' || true)
cluster_down
for node in "${CLUSTER_NODES[@]}"; do
  [[ ! -e /run/netns/$(node_netns "$node") ]] || { echo "FAIL: namespace $(node_netns "$node") is still there"; exit 1; }
  ! ip link show "$(node_link "$node")" >/dev/null 2>&1 || { echo "FAIL: link $(node_link "$node") is still there"; exit 1; }
done
[[ ! -e $CLUSTER_STATE ]] || { echo "FAIL: $CLUSTER_STATE is still there"; exit 1; }
echo "PASS: no cluster namespace, link or process left ($left namespace(s) removed)"
