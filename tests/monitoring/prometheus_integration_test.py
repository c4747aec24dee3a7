#!/usr/bin/python3
"""Monitoring end to end, against a real Prometheus server (Debian package `prometheus`).

Usage: prometheus_integration_test.py --cagcl BIN --mpirun MPIRUN --source-dir DIR

1. Starts Prometheus on loopback with a private port, a temporary storage directory, a 1 s scrape interval,
   the alert rules of monitoring/prometheus/alerts.yml and two scrape jobs: `cagcl`, file_sd discovery of a
   temporary directory (the layout of monitoring/prometheus/prometheus-file-sd.yml), and `cagcl-static`,
   fixed targets without labels (the layout of prometheus-static.yml). The file_sd job also watches a
   "ghost" entry that a killed rank would leave (labels rank 7, run prom-it-ghost; nothing listens there);
   the static job also lists a port where nothing ever listens.
2. Starts a second run (`prom-it-other`, 1 rank, niced, scraped only through the static job) and, once
   Prometheus has its series, runs `mpirun -np 2 cagcl train --config tiny` with the exporter on
   (`--metrics-port`, loopback, monitoring.file_sd = that directory); while it runs, reads one rank's
   /metrics as Prometheus does. The schedule is long: once Prometheus holds several scrapes of both ranks
   past a checkpoint and a validation, the test sends SIGUSR1 to mpirun, and the ranks stop with a
   checkpoint and exit code 5 (so the test does not depend on how fast this machine trains).
3. Asserts: both ranks wrote a file_sd entry and removed it on exit; both ranks' series arrived; the step
   advanced between scrapes; every PromQL query of every dashboard panel (template variables substituted)
   parses and returns data; every dashboard variable query works; with the 2-rank run selected, every panel
   series belongs to that run, "Ranks reporting" shows 2 (not the other run's targets) and "Checkpoints"
   shows the checkpoints rank 0 logged in metrics.jsonl up to the scraped one (not world size times that);
   every alert rule parses and the server evaluates it without error; the scraped exposition passes
   `promtool check metrics`.
4. Kills the second run (SIGKILL: its static target stays) and asserts that CagclRankDown (pending: its
   `for` is minutes) names the run and rank under the static job, the rank and run of the file_sd ghost,
   and the target where nothing ever listened, with no empty label in its summary or description.
Always stops the server and the runs and removes their files. Exits 77 (CTest: skipped) only when the
prometheus or promtool binary is missing; scripts/setup.sh installs them.
"""
import argparse
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

SKIPPED = 77
RUN_NAME = "prom-it"
OTHER_RUN = "prom-it-other"   # a second run, scraped through the static job, killed at the end
GHOST_RUN = "prom-it-ghost"   # a file_sd entry left by a killed rank (written by the test)
GHOST_RANK = "7"
WORLD_SIZE = 2
TRAIN_STEPS = 100000      # never reached: the test stops the run by SIGUSR1 once it has seen enough
# Panels of series only a GPU rank exports (NVML's utilisation): on this CPU run their queries must parse and
# run, but have no data.
GPU_ONLY_PANELS = {"GPU utilisation per rank"}
MIN_STEP = 12             # past the first checkpoint (step 10) and validation, so that every panel has data
MIN_SCRAPES = 3           # distinct step values per rank in Prometheus before the stop
STOPPED = 5               # cagcl's exit code after a signal-triggered checkpoint (docs/training.md)
RATE_INTERVAL = "1m"      # stands in for Grafana's $__rate_interval: covers the whole short run


class Failure(Exception):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode("utf-8")


class Prometheus:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def api(self, path, **params):
        query = urllib.parse.urlencode(params, doseq=True)
        try:
            body = http_get(f"{self.base}/api/v1/{path}?{query}")
        except urllib.error.HTTPError as e:  # 400/422: bad query; the body says why
            body = e.read().decode("utf-8")
        reply = json.loads(body)
        if reply.get("status") != "success":
            raise Failure(f"/api/v1/{path} {params}: {reply.get('errorType')}: {reply.get('error')}")
        return reply["data"]

    def query(self, expr, at):
        return self.api("query", query=expr, time=f"{at:.3f}")


class Processes:
    """Children started in their own process group, so that cleanup also ends what they started."""

    def __init__(self):
        self.children = []

    def start(self, argv, log_path, **kwargs):
        log = open(log_path, "wb")
        child = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **kwargs)
        log.close()
        self.children.append(child)
        return child

    def stop_all(self):
        for child in self.children:
            if child.poll() is None:
                try:
                    os.killpg(child.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.time() + 10
        for child in self.children:
            try:
                child.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                child.wait()


def tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def write_prometheus_config(work, sd_dirs, static_targets, alerts):
    """The file_sd job discovers the files of sd_dirs; the static job lists bare targets, as
    prometheus-static.yml does (its series get only job and instance from Prometheus)."""
    config = os.path.join(work, "prometheus.yml")
    files = ", ".join(json.dumps(os.path.join(d, "*.json")) for d in sd_dirs)
    with open(config, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - {json.dumps(alerts)}
scrape_configs:
  - job_name: cagcl
    honor_labels: true
    file_sd_configs:
      - files: [{files}]
        refresh_interval: 1s
  - job_name: cagcl-static
    honor_labels: true
    static_configs:
      - targets: [{", ".join(json.dumps(t) for t in static_targets)}]
""")
    return config


def write_ghost_target(ghost_dir, target):
    """What a killed rank leaves in the file_sd directory: its entry, with nothing listening behind it."""
    with open(os.path.join(ghost_dir, "cagcl-ghost.json"), "w") as f:
        json.dump([{"targets": [target], "labels": {"rank": GHOST_RANK, "run": GHOST_RUN}}], f)


def start_prometheus(processes, work, config):
    for attempt in range(3):  # the free port may be taken between the probe and the bind
        port = free_port()
        log = os.path.join(work, f"prometheus-{attempt}.log")
        server = processes.start(["prometheus", f"--config.file={config}",
                                  f"--storage.tsdb.path={os.path.join(work, 'tsdb')}",
                                  f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"], log)
        deadline = time.time() + 30
        while time.time() < deadline and server.poll() is None:
            try:
                http_get(f"http://127.0.0.1:{port}/-/ready", timeout=1)
                return Prometheus(port)
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        print(f"prometheus did not come up on port {port}:\n{tail(log)}")
    raise Failure("cannot start prometheus")


def checkpoints_agree(server, at):
    """The last scrape time up to `at` when both ranks had counted the same number of checkpoints (one or
    more), or None. Checkpoints are committed asynchronously, so a scrape often finds one rank a checkpoint
    ahead; at such a time the count is ambiguous."""
    ok = f'cagcl_checkpoints_total{{run="{RUN_NAME}", result="ok"}}'
    times = sorted({float(t) for s in server.query(f"{ok}[10m]", at)["result"] for t, _ in s["values"]}, reverse=True)
    for t in times:
        counts = [float(s["value"][1]) for s in server.query(ok, t)["result"]]
        if len(counts) == WORLD_SIZE and len(set(counts)) == 1 and counts[0] >= 1:
            return t
    return None


def scraped_enough(server):
    try:
        steps = server.query(f'cagcl_step{{run="{RUN_NAME}"}}[10m]', time.time())["result"]
        saved = server.query(f'cagcl_checkpoint_last_success_timestamp_seconds{{run="{RUN_NAME}"}}',
                             time.time())["result"]
    except (Failure, urllib.error.URLError, ConnectionError, OSError):
        return False
    per_rank = {s["metric"].get("rank"): {float(v) for _, v in s["values"]} for s in steps}
    return set(per_rank) == {"0", "1"} and all(len(v) >= MIN_SCRAPES and max(v) >= MIN_STEP
                                                 for v in per_rank.values()) and len(saved) == WORLD_SIZE \
        and checkpoints_agree(server, time.time()) is not None


def synthesize(args, work):
    data = os.path.join(work, "data")
    subprocess.run([os.path.abspath(args.cagcl), "--log-level", "warn", "synth", "--out", data, "--volumes", "16",
                    "--shards", "2", "--size", "32x64x64"], check=True)
    return data


def start_other_run(processes, args, work, data, port):
    """A second run on a fixed port (as the static config expects), niced so that it costs the 2-rank run
    little; it trains until the test kills it."""
    log = os.path.join(work, "other.log")
    return processes.start(["nice", "-n", "19", os.path.abspath(args.cagcl), "--log-level", "warn", "train",
                            "--config", "tiny", "--data", data, "--out", os.path.join(work, OTHER_RUN),
                            "--steps", str(TRAIN_STEPS), "--metrics-port", str(port),
                            "--set", "monitoring.address=127.0.0.1", "--set", "monitoring.on_port_in_use=error"], log)


def wait_for_other_run(server, other, work):
    """Until Prometheus holds the second run's step through the static job."""
    deadline = time.time() + 120
    while time.time() < deadline:
        if other.poll() is not None:
            raise Failure(f"the second run exited with {other.returncode}:\n{tail(os.path.join(work, 'other.log'))}")
        try:
            if server.query(f'cagcl_step{{job="cagcl-static", run="{OTHER_RUN}"}}', time.time())["result"]:
                return
        except (Failure, urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.3)
    raise Failure(f"prometheus did not scrape the second run:\n{tail(os.path.join(work, 'other.log'))}")


def train(processes, args, work, data, targets_dir, server):
    """Runs the 2-rank training; returns (the last exposition read from a rank, target files seen)."""
    cagcl = os.path.abspath(args.cagcl)
    log = os.path.join(work, "train.log")
    run = processes.start([args.mpirun, "--allow-run-as-root", "--oversubscribe", "-np", str(WORLD_SIZE), cagcl,
                           "train", "--config", "tiny", "--data", data, "--out", os.path.join(work, RUN_NAME),
                           "--steps", str(TRAIN_STEPS), "--checkpoint-every", "10", "--metrics-port", str(free_port()),
                           "--set", "monitoring.address=127.0.0.1", "--set", f"monitoring.file_sd={targets_dir}",
                           "--set", "monitoring.on_port_in_use=next"], log)
    exposition, seen, signalled = "", set(), False
    deadline = time.time() + 300
    while run.poll() is None:
        if not signalled and exposition and scraped_enough(server):
            os.kill(run.pid, signal.SIGUSR1)  # mpirun forwards SIGUSR1 to the ranks
            signalled = True
        if time.time() > deadline:
            raise Failure(f"training did not finish in time:\n{tail(log)}")
        for path in glob.glob(os.path.join(targets_dir, "*.json")):
            try:
                with open(path) as f:
                    group = json.load(f)[0]  # atomic writes: never half a file
            except (OSError, ValueError):
                continue  # removed between glob and open
            seen.add(path)
            if group["labels"].get("rank") == "0":
                try:
                    text = http_get(f"http://{group['targets'][0]}/metrics", timeout=2)
                    if "cagcl_step{" in text:
                        exposition = text
                except (urllib.error.URLError, ConnectionError, OSError):
                    pass  # the rank just exited
        time.sleep(0.3)
    if run.returncode != STOPPED:
        raise Failure(f"training ended with exit code {run.returncode}, expected {STOPPED} after SIGUSR1:\n{tail(log)}")
    return exposition, seen


def substitute(expr, variables):
    for name in sorted(variables, key=len, reverse=True):
        expr = expr.replace("$" + name, variables[name])
    return expr


def panel_targets(dashboard, title):
    panels = [p for p in dashboard["panels"] if p["title"] == title and p["type"] != "row"]
    if len(panels) != 1:
        raise Failure(f"dashboard: {len(panels)} panels titled {title!r}")
    return panels[0]["targets"]


def checkpoints_logged(work, up_to):
    """Successful checkpoints rank 0 logged in the run's metrics.jsonl that committed by up_to (unix time)."""
    count = 0
    with open(os.path.join(work, RUN_NAME, "metrics.jsonl")) as f:
        for line in f:
            event = json.loads(line)
            if event.get("event") == "checkpoint" and event.get("ok") and event["time"] <= up_to + 1e-3:
                count += 1
    return count


def check_selected_run(server, dashboard, variables, at, work):
    """The dashboard with the 2-rank run selected, while the second run is still up: every series is that
    run's, the ranks panel counts its 2 ranks, the checkpoint panel counts each checkpoint once."""
    failures = []
    selected = dict(variables, run=RUN_NAME)
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = substitute(target["expr"], selected)
            for series in server.query(expr, at)["result"]:
                if series["metric"].get("run") != RUN_NAME:
                    failures.append(f"panel {panel['title']!r} with run {RUN_NAME} selected shows the series "
                                    f"{series['metric']} of another run or none: {expr}")
    for target in panel_targets(dashboard, "Ranks reporting"):
        expr = substitute(target["expr"], selected)
        values = [float(s["value"][1]) for s in server.query(expr, at)["result"]]
        if values != [WORLD_SIZE]:
            failures.append(f"panel 'Ranks reporting' {target['refId']} ({target['legendFormat']}): {values}, "
                            f"expected [{WORLD_SIZE}] for run {RUN_NAME}: {expr}")
    # Compare at a scrape where both ranks had counted the same checkpoints (the stop waited for one) with
    # the checkpoints rank 0 had logged by the time its last-checkpoint gauge shows then.
    when = checkpoints_agree(server, time.time())  # a rank's stale series leaves it with one count: skipped
    if when is None:
        return failures + ["no scrape where both ranks had counted the same checkpoints (one or more)"]
    last = server.query(f'cagcl_checkpoint_last_success_timestamp_seconds{{run="{RUN_NAME}", rank="0"}}', when)
    if len(last["result"]) != 1:
        return failures + [f"no checkpoint time of rank 0 at {when}: {last['result']}"]
    written = checkpoints_logged(work, float(last["result"][0]["value"][1]))
    (target,) = panel_targets(dashboard, "Checkpoints")
    expr = substitute(target["expr"], selected)
    shown = {s["metric"].get("result"): float(s["value"][1]) for s in server.query(expr, when)["result"]}
    if written < 1 or shown.get("ok") != written or shown.get("failed", 0) != 0:
        failures.append(f"panel 'Checkpoints' shows {shown}, but the run wrote {written} checkpoints by then "
                        f"(ok={written}, failed=0 expected; {WORLD_SIZE} ranks): {expr}")
    print(f"run {RUN_NAME} selected: {written} checkpoints written by the scrape at {when:.3f} "
          f"({at - when:+.1f} s to the last), the panel shows {shown}")
    return failures


def wait_for_rank_down(server, instance):
    """CagclRankDown alerts (pending or firing) once one names `instance`; their `for` is minutes, but
    Prometheus renders labels and annotations from the first evaluation."""
    deadline, alerts = time.time() + 30, []
    while time.time() < deadline:
        alerts = [a for a in server.api("alerts")["alerts"] if a["labels"].get("alertname") == "CagclRankDown"]
        if any(a["labels"].get("instance") == instance for a in alerts):
            break
        time.sleep(0.5)
    return alerts


def check_rank_down(server, other, other_target, dead_target, ghost_target):
    """Kills the second run: its static target stays listed, so CagclRankDown must name its run and rank;
    the file_sd ghost by its target labels; the target that never answered by its address."""
    os.killpg(other.pid, signal.SIGKILL)
    other.wait()
    alerts = {a["labels"].get("instance"): a for a in wait_for_rank_down(server, other_target)}
    expected = {other_target: ("cagcl-static", OTHER_RUN, "0", f"cagcl rank 0 of run {OTHER_RUN} is down"),
                ghost_target: ("cagcl", GHOST_RUN, GHOST_RANK, f"cagcl rank {GHOST_RANK} of run {GHOST_RUN} is down"),
                dead_target: ("cagcl-static", None, None, f"cagcl target {dead_target} is down")}
    failures = []
    for instance, (job, run, rank, summary) in expected.items():
        alert = alerts.get(instance)
        if alert is None:
            failures.append(f"CagclRankDown: no alert for {instance} (job {job}); alerts: {sorted(alerts)}")
            continue
        labels, annotations = alert["labels"], alert["annotations"]
        if (labels.get("job"), labels.get("run"), labels.get("rank")) != (job, run, rank):
            failures.append(f"CagclRankDown for {instance}: labels {labels}, expected job {job}, run {run}, "
                            f"rank {rank}")
        if annotations.get("summary") != summary:
            failures.append(f"CagclRankDown for {instance}: summary {annotations.get('summary')!r}, "
                            f"expected {summary!r}")
        description = annotations.get("description", "")
        if instance not in description or re.search(r" \s|\s[,.)]|\(\s|^\s|\s$", description):
            failures.append(f"CagclRankDown for {instance}: description {description!r} does not name the "
                            f"target or has an empty label")
    print(f"CagclRankDown after the kill: {len(alerts)} alerts, "
          + "; ".join(a["annotations"].get("summary", "") for a in alerts.values()))
    return failures


def check(args):
    source = os.path.abspath(args.source_dir)
    dashboard = json.load(open(os.path.join(source, "monitoring", "grafana", "dashboard.json")))
    alerts = os.path.join(source, "monitoring", "prometheus", "alerts.yml")
    processes = Processes()
    work = tempfile.mkdtemp(prefix="cagcl_prometheus_it_")
    try:
        targets_dir, ghost_dir = os.path.join(work, "targets"), os.path.join(work, "ghost")
        os.makedirs(targets_dir)
        os.makedirs(ghost_dir)
        other_port = free_port()
        other_target, dead_target = f"127.0.0.1:{other_port}", f"127.0.0.1:{free_port()}"
        ghost_target = f"127.0.0.1:{free_port()}"
        write_ghost_target(ghost_dir, ghost_target)
        data = synthesize(args, work)
        other = start_other_run(processes, args, work, data, other_port)
        config = write_prometheus_config(work, [targets_dir, ghost_dir], [other_target, dead_target], alerts)
        server = start_prometheus(processes, work, config)
        wait_for_other_run(server, other, work)
        exposition, seen = train(processes, args, work, data, targets_dir, server)
        failures = []

        # Discovery: one file per rank while it ran, none left after a clean exit.
        if len(seen) != 2:
            failures.append(f"expected 2 file_sd target files, saw {sorted(seen)}")
        left = glob.glob(os.path.join(targets_dir, "*"))
        if left:
            failures.append(f"file_sd entries left after the run: {left}")

        # Both ranks' series arrived and the step advanced between scrapes. Once the ranks exit, their
        # series are marked stale, so everything below is evaluated at the last scrape that found both
        # ranks up (the earlier of the ranks' last scrapes).
        steps = server.query(f'cagcl_step{{run="{RUN_NAME}"}}[10m]', time.time())["result"]
        ranks = {s["metric"].get("rank") for s in steps}
        if ranks != {"0", "1"}:
            raise Failure(f"cagcl_step series of ranks {sorted(ranks)}, expected 0 and 1")
        for series in steps:
            values = [float(v) for _, v in series["values"]]
            if len(values) < 2 or max(values) <= min(values):
                failures.append(f"rank {series['metric']['rank']}: step did not advance between scrapes: {values}")
            if series["metric"].get("job") != "cagcl":
                failures.append(f"job label {series['metric'].get('job')!r}, expected 'cagcl' (file_sd)")
        at = min(max(float(t) for t, _ in s["values"]) for s in steps)
        print(f"{sum(len(s['values']) for s in steps)} cagcl_step samples from ranks {sorted(ranks)}, "
              f"steps up to {max(float(v) for s in steps for _, v in s['values']):.0f}")

        # Dashboard variables (label_values(selector, label) -> the series API), then every panel query.
        variables = {"__rate_interval": RATE_INTERVAL, "job": ".*", "run": ".*", "slurm_job_id": ".*"}
        for variable in dashboard["templating"]["list"]:
            if variable["type"] != "query":
                continue
            match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", variable["query"])
            if not match:
                failures.append(f"variable {variable['name']}: not label_values(selector, label)")
                continue
            selector, label = substitute(match.group(1), variables), match.group(2)
            found = {s.get(label) for s in server.api("series", **{"match[]": selector}, start=at - 600, end=at)}
            found.discard(None)
            if variable["name"] in ("job", "run") and not found:
                failures.append(f"variable {variable['name']}: {variable['query']} found no values")
            if variable["name"] == "run" and not {RUN_NAME, OTHER_RUN} <= found:
                failures.append(f"variable run: {sorted(found)}, expected {RUN_NAME} and {OTHER_RUN} among them")
            if variable["name"] == "job":
                variables["job"] = "|".join(sorted(found))
            if variable["name"] == "run":
                variables["run"] = "|".join(sorted(found))
        queries = 0
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                expr = substitute(target["expr"], variables)
                queries += 1
                try:
                    result = server.query(expr, at)["result"]
                    if not result and panel["title"] not in GPU_ONLY_PANELS:
                        failures.append(f"panel {panel['title']!r}: no data for {expr}")
                except Failure as e:
                    failures.append(f"panel {panel['title']!r}: {e}")
        print(f"{queries} dashboard queries evaluated at the last scrape")
        failures += check_selected_run(server, dashboard, variables, at, work)

        # Alert rules: the server loaded and evaluated them without error, and each expression parses.
        time.sleep(2)  # one more rule evaluation after the run
        rules = [r for g in server.api("rules")["groups"] for r in g["rules"]]
        if len(rules) != 5:
            failures.append(f"prometheus loaded {len(rules)} alert rules from alerts.yml, expected 5")
        for rule in rules:
            if rule.get("health") == "err":
                failures.append(f"alert {rule['name']}: evaluation error: {rule.get('lastError')}")
            try:
                server.query(rule["query"], at)
            except Failure as e:
                failures.append(f"alert {rule['name']}: {e}")
        failures += check_rank_down(server, other, other_target, dead_target, ghost_target)

        # The exposition a rank served, checked by Prometheus' own linter.
        if not exposition:
            failures.append("could not read /metrics of rank 0 while it trained")
        else:
            lint = subprocess.run(["promtool", "check", "metrics"], input=exposition, capture_output=True, text=True)
            if lint.returncode != 0 or lint.stdout.strip() or lint.stderr.strip():
                failures.append(f"promtool check metrics: {lint.returncode}: {lint.stdout}{lint.stderr}")

        if failures:
            raise Failure("\n".join(failures))
        print("ok: prometheus scraped both runs; dashboard, variables, alert rules, rank-down alerts and "
              "exposition checked")
        return 0
    finally:
        processes.stop_all()
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cagcl", required=True)
    parser.add_argument("--mpirun", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    missing = [tool for tool in ("prometheus", "promtool") if not shutil.which(tool)]
    if missing:
        print(f"{' and '.join(missing)} not found: skipped (scripts/setup.sh installs the Debian package prometheus)")
        return SKIPPED

    def interrupted(signum, _frame):
        raise SystemExit(128 + signum)  # runs the cleanup in check()'s finally

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, interrupted)
    try:
        return check(args)
    except Failure as e:
        print(f"FAILED: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
