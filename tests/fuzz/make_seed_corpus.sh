#!/usr/bin/env bash
# Writes the fuzz seed corpora with the project's own writers (docs/reliability.md): tests/fuzz/make_seed_corpus.sh
# BUILD_DIR OUT_DIR. Each target's seeds go to OUT_DIR/<target>/; the committed tests/fuzz/corpus/ was made by it
# (plus the inputs of findings, which are added by hand).
set -euo pipefail
build=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
cagcl="$build/cagcl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for t in npy npz chunk_decoder safetensors_header safetensors_file checkpoint_manifest dataset_json csv number_list \
         tokenizer config nifti shard_reader; do mkdir -p "$out/$t"; done

# Shards, dataset.json, vocabulary, report texts: a tiny synthetic dataset.
"$cagcl" synth --out lz4 --volumes 2 --shards 1 --size 16x32x32 >/dev/null 2>&1
cp lz4/dataset.json "$out/dataset_json/synth.json"
cp lz4/shard-*.h5 "$out/shard_reader/lz4.h5"
# A training run of one step: its checkpoint manifest and model.safetensors, then the exported weights.
"$cagcl" train --config tiny --data lz4 --out run --steps 1 --set train.val_every=0 --set train.val_zero_shot=false \
  --set train.batch_size=1 >/dev/null 2>&1
step=$(cat run/checkpoints/LATEST)
cp "run/checkpoints/$step/manifest.json" "$out/checkpoint_manifest/tiny_step1.json"
"$cagcl" export --checkpoint "run/checkpoints/$step" --out export.safetensors >/dev/null 2>&1
# CT-RATE and Rad-ChestCT raw layouts: NIfTI volumes and masks, CSVs, .npz volumes.
"$cagcl" synth --format ct-rate --out ctrate --volumes 2 --size 16x32x32 >/dev/null 2>&1
"$cagcl" synth --format rad-chestct --out radchest --volumes 2 --size 16x32x32 >/dev/null 2>&1

/usr/bin/python3 - "$out" "$work" <<'PY'
import glob, json, os, struct, sys, zipfile
out, work = sys.argv[1], sys.argv[2]
def put(target, name, data):
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)
# safetensors: the whole exported file (file target); its JSON header alone (header target, which adds the length).
st = open(os.path.join(work, "export.safetensors"), "rb").read()
n = struct.unpack("<Q", st[:8])[0]
put("safetensors_file", "export.safetensors", st)
put("safetensors_header", "export_header.json", st[8:8 + n])
model = glob.glob(os.path.join(work, "run/checkpoints/step-*/model.safetensors"))[0]
put("safetensors_header", "checkpoint_header.json", open(model, "rb").read()[8:8 + struct.unpack("<Q", open(model, "rb").read(8))[0]])
# CSVs and number lists of the CT-RATE layout.
for i, csv in enumerate(sorted(glob.glob(os.path.join(work, "ctrate", "**", "*.csv"), recursive=True))):
    put("csv", f"ctrate_{i}_{os.path.basename(csv)}", open(csv, "rb").read()[:20000])
for i, csv in enumerate(sorted(glob.glob(os.path.join(work, "radchest", "**", "*.csv"), recursive=True))):
    put("csv", f"radchest_{i}_{os.path.basename(csv)}", open(csv, "rb").read()[:20000])
for i, cells in enumerate(['"[0.75, 0.75]"', "[1.5,0.7,0.7]", "0.75", "1e-3, 2", "[-1.0, 0, 0, 0]"]):
    put("number_list", f"cells_{i}", bytes([i % 8]) + cells.encode())
# NIfTI: the smallest volume and mask files.
niis = sorted(glob.glob(os.path.join(work, "ctrate", "**", "*.nii.gz"), recursive=True), key=os.path.getsize)
for i, nii in enumerate(niis[:3]):
    put("nifti", f"ctrate_{i}.nii.gz", open(nii, "rb").read())
# npz volumes and the .npy members inside them.
npzs = sorted(glob.glob(os.path.join(work, "radchest", "**", "*.npz"), recursive=True), key=os.path.getsize)
for i, npz in enumerate(npzs[:2]):
    put("npz", f"radchest_{i}.npz", open(npz, "rb").read())
    with zipfile.ZipFile(npz) as z:
        for name in z.namelist()[:2]:
            put("npy", f"radchest_{i}_{name}", z.read(name))
# Report texts for the tokenizer, with unusual Unicode from CT-RATE-like reports.
for i, text in enumerate(["The lungs are clear. No pleural effusion.", "Émphysème: ΣΙΣΥΦΟΣ σ ς [CLS] 12 mm nodule.",
                          "Kalp boyutları normal. Ödem yok.", "a\u0301\u200b\u00a0x\tdone"]):
    put("tokenizer", f"text_{i}.txt", text.encode())
put("tokenizer", "vocab_head.txt", open(os.path.join(work, "lz4", "vocab.txt"), "rb").read()[:4000])
# Chunk decoder: raw chunks of the shard, prefixed with the harness's selector, mask and decoded size.
try:
    import h5py, numpy
    with h5py.File(glob.glob(os.path.join(work, "lz4", "shard-*.h5"))[0], "r") as f:
        found = []
        f.visititems(lambda name, obj: found.append(obj) if isinstance(obj, h5py.Dataset) and obj.chunks else None)
        for i, d in enumerate(found[:4]):
            mask, chunk = d.id.read_direct_chunk((0,) * len(d.shape))
            decoded = int(numpy.prod(d.chunks)) * d.dtype.itemsize
            put("chunk_decoder", f"lz4_{i}", bytes([0, mask & 255]) + decoded.to_bytes(3, "little") + chunk[:60000])
except Exception as e:  # h5py missing: the decoder keeps its hand-made seeds
    print("chunk seeds skipped:", e, file=sys.stderr)
for i, raw in enumerate([b"\x04\x00\x04\x00\x00abcd\x00\x00\x00\x00", b"\x07\x00\x03\x00\x00xyz", b"\x05\x00\x08\x00\x00" + bytes(range(8))]):
    put("chunk_decoder", f"hand_{i}", raw)
PY
# Configuration: the presets, and a file that starts from one.
for p in tiny small base; do "$cagcl" config --config "$p" > "$out/config/$p.yaml" 2>/dev/null; done
printf 'base: tiny\ntrain:\n  steps: 3\n  lr: 1e-4\ndata:\n  crop: [32, 64, 64]\n' > "$out/config/override.yaml"
echo "seed corpora written to $out:"
for d in "$out"/*/; do printf '  %-22s %3d files %6d KB\n' "$(basename "$d")" "$(ls "$d" | wc -l)" "$(du -sk "$d" | cut -f1)"; done
