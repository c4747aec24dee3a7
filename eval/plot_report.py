#!/usr/bin/env python3
"""Plots of a `cagcl eval` report directory: reads the CSV files cagcl wrote next to report.json and writes
plots/template_auc.svg, plots/similarity_histogram.svg and plots/roc_curves.svg. Needs matplotlib (Debian:
python3-matplotlib). Usage: python3 plot_report.py REPORT_DIR
"""
import csv
import json
import math
import os
import sys
from collections import OrderedDict

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"    # text stays text: smaller files, searchable in the HTML
matplotlib.rcParams["svg.hashsalt"] = "cagcl"   # stable element ids: the same data gives the same file
import matplotlib.pyplot as plt  # noqa: E402


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def number(text):
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return value


def save(fig, path):
    fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)


def template_auc(report_dir, out):
    rows = read_csv(os.path.join(report_dir, "template_auc.csv"))
    families = list(OrderedDict.fromkeys(r["family"] for r in rows))
    labels = list(OrderedDict.fromkeys(r["label"] for r in rows if r["label"] != "macro"))
    auc = {(r["family"], r["label"]): number(r["auc"]) for r in rows}
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [1, 2.4]})
    macro = [auc[(f, "macro")] for f in families]
    left.bar(range(len(families)), [0 if math.isnan(m) else m for m in macro], color="#4c72b0")
    for i, m in enumerate(macro):
        left.text(i, (0 if math.isnan(m) else m) + 0.01, "n/a" if math.isnan(m) else "%.3f" % m, ha="center",
                  fontsize=8)
    finite = [m for m in macro if not math.isnan(m)]
    if finite:
        mean = sum(finite) / len(finite)
        sd = math.sqrt(sum((m - mean) ** 2 for m in finite) / len(finite))
        left.axhline(mean, color="k", lw=0.8, ls="--")
        left.set_title("macro AUC per template family\nmean %.3f, SD %.3f" % (mean, sd), fontsize=10)
    left.set_xticks(range(len(families)))
    left.set_xticklabels(families, rotation=30, ha="right", fontsize=8)
    left.set_ylim(0, 1.05)
    left.axhline(0.5, color="grey", lw=0.6, ls=":")
    left.set_ylabel("AUC")
    for k, f in enumerate(families):
        ys = [auc.get((f, l), math.nan) for l in labels]
        right.plot(range(len(labels)), ys, "o", ms=4, label=f, alpha=0.8)
    for i, l in enumerate(labels):
        if all(math.isnan(auc.get((f, l), math.nan)) for f in families):
            right.text(i, 0.5, "n/a", ha="center", va="bottom", fontsize=7, rotation=90)
    right.set_xticks(range(len(labels)))
    right.set_xticklabels(labels, rotation=45, ha="right", fontsize=7)
    right.set_ylim(0, 1.05)
    right.axhline(0.5, color="grey", lw=0.6, ls=":")
    right.set_title("AUC per label (one marker per template family)", fontsize=10)
    right.legend(fontsize=7, ncol=2)
    save(fig, os.path.join(out, "template_auc.svg"))


def similarity(report_dir, out):
    rows = read_csv(os.path.join(report_dir, "similarity_histogram.csv"))
    with open(os.path.join(report_dir, "report.json")) as f:
        stats = json.load(f)["text_similarity"]
    lows = [number(r["bin_low"]) for r in rows]
    width = number(rows[0]["bin_high"]) - lows[0] if rows else 0.05
    fig, ax = plt.subplots(figsize=(7, 4))
    for key, column, colour in (("same_anatomy", "same_anatomy", "#55a868"), ("cross_anatomy", "cross_anatomy", "#c44e52")):
        counts = [number(r[column]) for r in rows]
        total = sum(counts) or 1
        s = stats[key]
        label = "%s pairs (n=%d, mean %s, SD %s)" % (
            key.replace("_", "-"), s["pairs"], "n/a" if s["mean"] is None else "%.3f" % s["mean"],
            "n/a" if s["sd"] is None else "%.3f" % s["sd"])
        ax.bar(lows, [c / total for c in counts], width=width, align="edge", alpha=0.55, color=colour, label=label)
    ci = stats["collapse_index"]
    ax.set_title("pairwise cosine of anatomy-level text embeddings\ncollapse index (mean cross-anatomy cosine): %s"
                 % ("n/a" if ci is None else "%.3f" % ci), fontsize=10)
    ax.set_xlabel("cosine similarity")
    ax.set_ylabel("fraction of pairs")
    ax.set_xlim(-1, 1)
    ax.legend(fontsize=8)
    save(fig, os.path.join(out, "similarity_histogram.svg"))


def roc_curves(report_dir, out):
    rows = read_csv(os.path.join(report_dir, "roc_curves.csv"))
    metrics = read_csv(os.path.join(report_dir, "label_metrics.csv"))
    labels = list(OrderedDict.fromkeys(r["label"] for r in metrics))
    families = list(OrderedDict.fromkeys(r["family"] for r in metrics))
    auc = {(r["family"], r["label"]): number(r["auc"]) for r in metrics}
    curves = OrderedDict()
    for r in rows:
        curves.setdefault((r["family"], r["label"]), []).append((number(r["fpr"]), number(r["tpr"])))
    cols = 4
    nrows = max(1, (len(labels) + cols - 1) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 3.0 * nrows), squeeze=False)
    for i, label in enumerate(labels):
        ax = axes[i // cols][i % cols]
        for f in families:
            points = curves.get((f, label))
            if points:
                a = auc.get((f, label), math.nan)
                ax.plot([p[0] for p in points], [p[1] for p in points], lw=1,
                        label="%s %s" % (f, "n/a" if math.isnan(a) else "%.2f" % a))
        ax.plot([0, 1], [0, 1], color="grey", lw=0.5, ls=":")
        ax.set_title(label, fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.tick_params(labelsize=6)
        if ax.lines[:-1]:
            ax.legend(fontsize=5, loc="lower right")
        else:
            ax.text(0.5, 0.5, "undefined\n(one class only)", ha="center", va="center", fontsize=8)
    for j in range(len(labels), nrows * cols):
        axes[j // cols][j % cols].axis("off")
    fig.suptitle("ROC curves per label (x: false positive rate, y: true positive rate)", fontsize=10)
    fig.tight_layout()
    save(fig, os.path.join(out, "roc_curves.svg"))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_report.py REPORT_DIR")
    report_dir = sys.argv[1]
    out = os.path.join(report_dir, "plots")
    os.makedirs(out, exist_ok=True)
    template_auc(report_dir, out)
    similarity(report_dir, out)
    roc_curves(report_dir, out)


if __name__ == "__main__":
    main()
