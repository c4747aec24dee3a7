#!/usr/bin/env python3
"""Training curves of a cagcl run, drawn from its RUN/metrics.jsonl (docs/metrics-log.md) into one PNG: the loss
and its two terms (train and validation), the learning rate, the temperatures, the throughput, and the live
zero-shot figures of the validation lines. Needs matplotlib (Debian: python3-matplotlib).

Usage: python3 plot_training_curves.py METRICS_JSONL OUT_PNG [--max-step N]

Beside OUT_PNG it writes the step curves as drawn, one row per step, to the same name with .csv (step,
invocation, restarts, loss, loss_local, loss_global, lr, tau_local, tau_global, samples_per_second).

A resumed run repeats the steps after the checkpoint it resumed from, so a step can have several lines. Of
those only the last one is drawn: the highest (invocation, restarts), and of equal ones the later in the file,
which is the line the run's weights descend from. Lines that are not JSON objects (a torn last line while
the run writes) are skipped. --max-step drops everything after that step (an evaluated checkpoint's step).
"""
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MAX_LINE_BYTES = 1 << 20  # a metrics line is well under 10 kB; longer is not ours


def finite(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_lines(path):
    """The JSON objects of the file, in file order, each with its line index."""
    out = []
    with open(path, "rb") as f:
        for index, raw in enumerate(f):
            if len(raw) > MAX_LINE_BYTES:
                continue
            try:
                j = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError, RecursionError):
                continue
            if isinstance(j, dict) and isinstance(j.get("event"), str) and \
                    (j["event"] in ("start", "finish") or finite(j.get("step"))):
                out.append((index, j))
    return out


def order(index, j):
    """Which of two lines of the same step is the later one (fields missing in old logs read as 0)."""
    invocation = j.get("invocation", 0)
    restarts = j.get("restarts", 0)
    return (invocation if finite(invocation) else 0, restarts if finite(restarts) else 0, index)


def last_per_step(lines, event, max_step):
    """{step: line} of one event, keeping only the last occurrence of each step; and how many were dropped."""
    best = {}
    count = 0
    for index, j in lines:
        if j["event"] != event or (max_step is not None and j["step"] > max_step):
            continue
        count += 1
        step = int(j["step"])
        if step not in best or order(index, j) >= best[step][0]:
            best[step] = (order(index, j), j)
    return {step: j for step, (_, j) in sorted(best.items())}, count - len(best)


def resumes(lines):
    """The steps later invocations resumed after (the first step each wrote, less one)."""
    first = {}
    for index, j in lines:
        if j["event"] == "step":
            first.setdefault(order(index, j)[:2], int(j["step"]) - 1)
    return sorted(set(step for key, step in first.items() if key != min(first)))


def series(rows, key):
    xs, ys = [], []
    for step, j in rows.items():
        value = j.get(key)
        if finite(value):
            xs.append(step)
            ys.append(value)
    return xs, ys


def moving_mean(ys, window):
    out, total = [], 0.0
    for i, y in enumerate(ys):
        total += y
        if i >= window:
            total -= ys[i - window]
        out.append(total / min(i + 1, window))
    return out


def empty(ax, text):
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, color="#555", transform=ax.transAxes)


def legend_or_empty(ax, nothing_text, fontsize=7):
    """A legend for the curves drawn, or `nothing_text` when there are none."""
    if ax.lines:
        ax.legend(fontsize=fontsize)
    else:
        empty(ax, nothing_text)


def losses(ax, steps, validations):
    for key, colour in (("loss", "k"), ("loss_local", "#4c72b0"), ("loss_global", "#dd8452")):
        xs, ys = series(steps, key)
        if xs:
            ax.plot(xs, ys, color=colour, lw=1, label="train " + key)
        xs, ys = series(validations, key)
        if xs:
            ax.plot(xs, ys, "o--", color=colour, ms=3, lw=0.8, label="validation " + key)
    ax.set_title("loss (CA-GCL) and its terms", fontsize=10)
    legend_or_empty(ax, "no step lines")


def learning_rate(ax, steps):
    xs, ys = series(steps, "lr")
    ax.plot(xs, ys, color="#55a868", lw=1)
    ax.set_title("learning rate", fontsize=10)
    if not xs:
        empty(ax, "no learning rate")


def temperatures(ax, steps):
    for key, colour in (("tau_local", "#4c72b0"), ("tau_global", "#dd8452")):
        xs, ys = series(steps, key)
        if xs:
            ax.plot(xs, ys, color=colour, lw=1, label=key)
    ax.set_title("temperatures", fontsize=10)
    legend_or_empty(ax, "no temperatures")


def throughput(ax, steps):
    xs, ys = [], []
    for step, j in steps.items():
        rate = samples_per_second(j)
        if rate is not None:
            xs.append(step)
            ys.append(rate)
    ax.set_title("throughput (samples/s, all ranks)", fontsize=10)
    if not xs:
        empty(ax, "no step timings")
        return
    window = max(1, len(ys) // 50)
    ax.plot(xs, ys, color="#8172b3", lw=0.6, alpha=0.4 if window > 1 else 1, label="per step")
    if window > 1:
        ax.plot(xs, moving_mean(ys, window), color="#8172b3", lw=1.2, label="mean of %d steps" % window)
    ax.legend(fontsize=7)


def zero_shot_auc(ax, validations):
    scored = {s: j["zero_shot"] for s, j in validations.items() if isinstance(j.get("zero_shot"), dict)}
    ax.set_title("live zero-shot: macro AUC", fontsize=10)
    if not scored:
        empty(ax, "no live zero-shot figures\n(train.val_zero_shot off)")
        return
    xs = list(scored)
    mean = [z.get("macro_auc_mean") for z in scored.values()]
    ax.plot(xs, [m if finite(m) else math.nan for m in mean], "o-", color="k", ms=3, lw=1.2, label="mean")
    families = []
    for z in scored.values():
        by_family = z.get("macro_auc") if isinstance(z.get("macro_auc"), dict) else {}
        families += [f for f in by_family if f not in families]
    for family in families:
        ys = []
        for z in scored.values():
            v = z.get("macro_auc", {}).get(family) if isinstance(z.get("macro_auc"), dict) else None
            ys.append(v if finite(v) else math.nan)
        ax.plot(xs, ys, ".:", ms=3, lw=0.8, label=str(family))
    ax.axhline(0.5, color="grey", lw=0.6, ls=":")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=6, ncol=2)


def zero_shot_retrieval(ax, validations):
    scored = {s: j["zero_shot"] for s, j in validations.items() if isinstance(j.get("zero_shot"), dict)}
    ax.set_title("live zero-shot: retrieval and text collapse", fontsize=10)
    if not scored:
        empty(ax, "no live zero-shot figures")
        return
    xs = list(scored)
    for key in ("recall_at_1", "recall_at_5", "recall_at_10", "collapse_index", "template_sd"):
        ys = [z.get(key) if finite(z.get(key)) else math.nan for z in scored.values()]
        if any(not math.isnan(y) for y in ys):
            ax.plot(xs, ys, "o-", ms=3, lw=1, label=key)
    legend_or_empty(ax, "all figures undefined", fontsize=6)


def title(lines, steps, dropped):
    run = ""
    for _, j in lines:
        if j["event"] == "start" and isinstance(j.get("run"), str):
            run = j["run"][:80]
    invocations = {order(i, j)[:2] for i, j in lines if j["event"] == "step"}
    text = "%s: %d steps" % (run or "cagcl run", len(steps))
    if dropped:
        text += ", %d repeated step lines of resumed invocations dropped" % dropped
    return text + " (%d invocations)" % len(invocations) if len(invocations) > 1 else text


def samples_per_second(j):
    samples, seconds = j.get("global_samples"), j.get("step_seconds")
    return samples / seconds if finite(samples) and finite(seconds) and seconds > 0 else None


def write_csv(path, steps):
    columns = ["invocation", "restarts", "loss", "loss_local", "loss_global", "lr", "tau_local", "tau_global"]
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["step"] + columns + ["samples_per_second"])
        for step, j in steps.items():
            row = [j.get(c) if finite(j.get(c)) else "" for c in columns]
            rate = samples_per_second(j)
            out.writerow([step] + row + ["" if rate is None else rate])


def main(argv):
    if len(argv) not in (3, 5) or (len(argv) == 5 and argv[3] != "--max-step"):
        sys.exit("usage: plot_training_curves.py METRICS_JSONL OUT_PNG [--max-step N]")
    max_step = int(argv[4]) if len(argv) == 5 else None
    lines = read_lines(argv[1])
    steps, dropped = last_per_step(lines, "step", max_step)
    validations, _ = last_per_step(lines, "validation", max_step)
    fig, axes = plt.subplots(3, 2, figsize=(13, 11))
    losses(axes[0][0], steps, validations)
    learning_rate(axes[0][1], steps)
    temperatures(axes[1][0], steps)
    throughput(axes[1][1], steps)
    zero_shot_auc(axes[2][0], validations)
    zero_shot_retrieval(axes[2][1], validations)
    resumed = resumes(lines)
    drawn = list(steps) + list(validations)
    for ax in (a for row in axes for a in row):
        if drawn:  # one step axis for all panels, also those with a few validation points only
            ax.set_xlim(min(drawn) - 0.5, max(drawn) + 0.5)
        ax.set_xlabel("optimizer step", fontsize=8)
        ax.tick_params(labelsize=7)
        for step in resumed:
            ax.axvline(step, color="#c44e52", lw=0.6, ls=":")
    fig.suptitle(title(lines, steps, dropped) + "; dotted red: resumed after this step", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(argv[2], format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    write_csv(os.path.splitext(argv[2])[0] + ".csv", steps)
    print("training curves: %d steps, %d validations, %d repeated step lines dropped -> %s"
          % (len(steps), len(validations), dropped, argv[2]))


if __name__ == "__main__":
    main(sys.argv)
