#!/usr/bin/env python3
"""Checks of the namespace-cluster tests on a `cagcl train` run: its log and its run directory.

  check_run.py layout LOG WORLD RANKS_PER_NODE HOST...
      every rank of WORLD logged its Runtime line once; ranks are laid out by slot (RANKS_PER_NODE per HOST,
      in order); each host's ranks form one MPI_COMM_TYPE_SHARED group (local ranks 0..n-1 of n); each
      rank runs max(1, cores / local size) intra-op threads.
  check_run.py same RUN REFERENCE
      RUN ends at the reference's last checkpoint with the same model weights (SHA-256 of model.safetensors)
      and logged every step's loss bit for bit as the reference did.
  check_run.py resumed RUN FROM TO WORLD
      the last start of RUN had WORLD ranks and logged steps FROM+1..TO, each once, then finished.
  check_run.py latest RUN
      prints the step of RUN's checkpoints/LATEST (0 when there is none).
"""
import hashlib
import json
import os
import re
import sys

RUNTIME_LINE = re.compile(
    r"\] rank (\d+)/(\d+) \(local (\d+)/(\d+)\) on (\S+), device (\S+), (\d+) intra-op threads")


def fail(message):
    sys.exit(f"FAIL: {message}")


def events(run):
    path = os.path.join(run, "metrics.jsonl")
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def latest_step(run):
    path = os.path.join(run, "checkpoints", "LATEST")
    if not os.path.exists(path):
        return 0
    name = os.path.basename(open(path, encoding="utf-8").read().strip().rstrip("/"))
    match = re.fullmatch(r"step-(\d+)", name)
    if not match:
        fail(f"{path} names {name!r}, not a step directory")
    return int(match.group(1))


def model_sha(run, step):
    path = os.path.join(run, "checkpoints", f"step-{step:08d}", "model.safetensors")
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def losses(run):
    out = {}
    for e in events(run):
        if e["event"] == "step":
            out[e["step"]] = e["loss"]  # a step logged again after a resume keeps its last value
    return out


def layout(log, world, per_node, hosts):
    world, per_node = int(world), int(per_node)
    seen = {}
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            match = RUNTIME_LINE.search(line)
            if not match:
                continue
            rank, size, local, local_size, host, _device, threads = match.groups()
            if int(rank) in seen:
                fail(f"{log}: rank {rank} logged its Runtime line twice")
            seen[int(rank)] = (int(size), int(local), int(local_size), host, int(threads))
    if sorted(seen) != list(range(world)):
        fail(f"{log}: Runtime lines of ranks {sorted(seen)}, expected 0..{world - 1}")
    cores = os.cpu_count() or 1
    for rank, (size, local, local_size, host, threads) in sorted(seen.items()):
        node = rank // per_node
        expected = (world, rank % per_node, per_node, hosts[node], max(1, cores // per_node))
        if (size, local, local_size, host, threads) != expected:
            fail(f"{log}: rank {rank} is {local}/{local_size} on {host} with world {size} and {threads} "
                 f"threads, expected {expected[1]}/{expected[2]} on {expected[3]} with world {world} and "
                 f"{expected[4]} threads")
        print(f"rank {rank}/{size}: local {local}/{local_size} on {host}, {threads} intra-op threads")
    if len(set(hosts)) != len(hosts):
        fail(f"host names {hosts} are not distinct")


def same(run, reference):
    step, ref_step = latest_step(run), latest_step(reference)
    if step != ref_step:
        fail(f"{run} ends at step {step}, the uninterrupted run at {ref_step}")
    if model_sha(run, step) != model_sha(reference, ref_step):
        fail(f"{run}: model.safetensors of step {step} differs from the uninterrupted run's")
    mine, theirs = losses(run), losses(reference)
    if mine != theirs:
        differ = sorted(s for s in set(mine) | set(theirs) if mine.get(s) != theirs.get(s))
        fail(f"{run}: losses differ from the uninterrupted run's at steps {differ}")
    print(f"{run}: step {step}, model weights and the losses of steps {min(mine)}..{max(mine)} "
          f"bit-identical to the uninterrupted run")


def resumed(run, start, end, world):
    start, end, world = int(start), int(end), int(world)
    log = events(run)
    starts = [i for i, e in enumerate(log) if e["event"] == "start"]
    if not starts:
        fail(f"{run}: no start event")
    last = log[starts[-1]:]
    if last[0].get("world_size") != world:
        fail(f"{run}: the last start had world size {last[0].get('world_size')}, expected {world}")
    steps = [e["step"] for e in last if e["event"] == "step"]
    if steps != list(range(start + 1, end + 1)):
        fail(f"{run}: the last start logged steps {steps}, expected {start + 1}..{end}")
    if last[-1]["event"] != "finish":
        fail(f"{run}: the last start did not finish (last event {last[-1]['event']})")
    print(f"{run}: its last start ran {world} ranks through steps {start + 1}..{end} and finished")


def main(argv):
    commands = {"layout": (layout, 4), "same": (same, 2), "resumed": (resumed, 4),
                "latest": (lambda run: print(latest_step(run)), 1)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 < commands[argv[1]][1]:
        sys.exit(__doc__)
    function, arity = commands[argv[1]]
    args = argv[2:]
    if argv[1] == "layout":
        function(args[0], args[1], args[2], args[3:])
    else:
        function(*args[:arity])


if __name__ == "__main__":
    main(sys.argv)
