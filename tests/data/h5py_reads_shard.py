#!/usr/bin/python3
"""The dataset format promises that shards are readable with h5py (docs/dataset-format.md).

Usage: h5py_reads_shard.py CAGCL_BINARY. Synthesises a small dataset, reads every sample with h5py as the doc
shows, and checks it against `cagcl inspect --json`. Exits 77 (CTest: skipped) when h5py is missing.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError:
    print("h5py/numpy not importable: skipped (scripts/setup.sh installs python3-h5py)")
    sys.exit(77)

cagcl = sys.argv[1]
with tempfile.TemporaryDirectory(prefix="cagcl_h5py_") as tmp:
    data = os.path.join(tmp, "d")
    subprocess.run([cagcl, "--log-level", "warn", "synth", "--out", data, "--volumes", "6", "--shards", "2",
                    "--size", "16x32x32"], check=True)
    summary = json.loads(subprocess.run([cagcl, "--log-level", "warn", "inspect", data, "--json"], check=True,
                                        capture_output=True, text=True).stdout)
    with open(os.path.join(data, "dataset.json")) as f:
        manifest = json.load(f)

    positives = np.zeros(len(manifest["labels"]), dtype=np.int64)
    seen = 0
    for shard in manifest["shards"]:
        with h5py.File(os.path.join(data, shard["file"]), "r") as f:
            assert f.attrs["schema_version"] == manifest["schema_version"]
            assert int(f.attrs["num_samples"]) == shard["num_samples"]
            for key in sorted(f["samples"].keys()):
                s = f["samples"][key]
                volume, anatomy = s["volume"][()], s["anatomy"][()]
                assert volume.dtype == np.int16 and anatomy.dtype == np.uint8, (volume.dtype, anatomy.dtype)
                assert volume.shape == anatomy.shape and volume.ndim == 3
                assert anatomy.max() == len(manifest["anatomies"])
                assert volume.min() < -500 < 0 < volume.max()  # air and tissue
                labels = s["labels"][()]
                assert labels.shape == (len(manifest["labels"]),)
                positives += labels
                sentences = [x.decode() if isinstance(x, bytes) else x for x in s["sentences"][()]]
                assert len(sentences) == len(s["sentence_anatomy"][()]) == len(s["sentence_section"][()])
                normal = s["normal"][()]
                for a in range(len(manifest["anatomies"])):
                    has_sentence = bool((s["sentence_anatomy"][()] == a + 1).any())
                    assert bool(normal[a]) == (not has_sentence), (key, a)
                assert s.attrs["split"].decode() in ("train", "valid")  # fixed-length strings: bytes
                seen += 1

    assert seen == summary["samples"] == 6, seen
    for i, label in enumerate(manifest["labels"]):
        assert positives[i] == summary["label_prevalence"][label]["positives"], label
print("h5py read every sample; dtypes, shapes, labels and sentences agree with cagcl inspect")
