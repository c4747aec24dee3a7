#!/usr/bin/env bash
# Writes the fuzz seed corpora with the project's own writers (docs/reliability.md): tests/fuzz/make_seed_corpus.sh
# BUILD_DIR OUT_DIR, where BUILD_DIR holds a full build's `cagcl`. Each target's seeds go to OUT_DIR/<target>/.
# Inputs are kept small (16^3-voxel phantoms, a few tensors of a safetensors file): the fuzzer mutates small
# inputs faster, and the committed corpus stays a few hundred KB. The committed tests/fuzz/corpus/ is its
# output (libFuzzer's -merge=1 keeps all but two of its inputs: each adds coverage), plus the inputs of
# findings once they are fixed (added by hand).
set -euo pipefail
(($# == 2)) || { echo "usage: $0 BUILD_DIR OUT_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
cagcl="$build/cagcl"
[[ -x "$cagcl" ]] || { echo "$0: $cagcl is not built" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for t in npy npz chunk_decoder safetensors_header safetensors_file checkpoint_manifest dataset_json csv number_list \
         tokenizer config nifti shard_reader; do mkdir -p "$out/$t"; done

quiet() {  # runs a cagcl command, showing its output only when it fails
  "$@" >"$work/log" 2>&1 || { cat "$work/log" >&2; echo "$0: failed: $*" >&2; exit 1; }
}

# Shards and dataset.json: one small LZ4 shard of the phantom generator, and a deflate+shuffle shard written by
# the CT-RATE converter (8 mm voxels: the converters accept at most 10 mm, and 16 voxels of the default field
# of view would be 22.5 mm).
quiet "$cagcl" synth --out lz4 --volumes 1 --shards 1 --size 16x16x16
quiet "$cagcl" synth --format ct-rate --out ctrate --volumes 2 --size 16x16x16 --spacing 8,8,8
quiet "$cagcl" synth --format rad-chestct --out radchest --volumes 2 --size 16x16x16 --spacing 8,8,8
quiet "$cagcl" convert ct-rate --root ctrate/dataset --masks ctrate/totalsegmentator --out deflate --limit 1 \
  --compression deflate+shuffle --spacing 8,8,8 --margin 1,1,1
cp lz4/dataset.json "$out/dataset_json/synth.json"
cp deflate/dataset.json "$out/dataset_json/ct_rate.json"
cp lz4/shard-00000.h5 "$out/shard_reader/lz4.h5"
cp deflate/shard-00000.h5 "$out/shard_reader/deflate_shuffle.h5"
# A training run of one step (tiny preset, a 16x32x32 dataset that is not committed): its checkpoint manifest
# and model.safetensors, then the exported weights.
quiet "$cagcl" synth --out train_data --volumes 2 --shards 1 --size 16x32x32
quiet "$cagcl" train --config tiny --data train_data --out run --steps 1 --set train.val_every=0 \
  --set train.val_zero_shot=false --set train.batch_size=1
step=$(cat run/checkpoints/LATEST)
cp "run/checkpoints/$step/manifest.json" "$out/checkpoint_manifest/tiny_step1.json"
quiet "$cagcl" export --checkpoint "run/checkpoints/$step" --out export.safetensors

/usr/bin/python3 - "$out" "$work" <<'PY'
import glob, gzip, json, os, struct, sys, zipfile
out, work = sys.argv[1], sys.argv[2]
def put(target, name, data):
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)
def read(path):
    with open(path, "rb") as f:
        return f.read()
# safetensors: the JSON headers alone (header target, which adds the length), and for the file target the
# exported file cut down to its smallest tensors (offsets renumbered), whole files being ~0.5 MB.
def header_of(blob):
    n = struct.unpack("<Q", blob[:8])[0]
    return blob[8:8 + n], 8 + n
st = read(os.path.join(work, "export.safetensors"))
header, start = header_of(st)
put("safetensors_header", "export_header.json", header)
model = glob.glob(os.path.join(work, "run/checkpoints/step-*/model.safetensors"))[0]
put("safetensors_header", "checkpoint_header.json", header_of(read(model))[0])
entries = json.loads(header)
tensors = sorted((k for k in entries if k != "__metadata__"),
                 key=lambda k: entries[k]["data_offsets"][1] - entries[k]["data_offsets"][0])
small, data = {}, b""
for name in tensors[:6]:
    begin, end = entries[name]["data_offsets"]
    small[name] = dict(entries[name], data_offsets=[len(data), len(data) + end - begin])
    data += st[start + begin:start + end]
if "__metadata__" in entries:
    small["__metadata__"] = entries["__metadata__"]
text = json.dumps(small, separators=(",", ":")).encode()
put("safetensors_file", "export_6_tensors.safetensors", struct.pack("<Q", len(text)) + text + data)
# CSVs and number lists of the CT-RATE and Rad-ChestCT layouts.
for layout in ("ctrate", "radchest"):
    for i, csv in enumerate(sorted(glob.glob(os.path.join(work, layout, "**", "*.csv"), recursive=True))):
        put("csv", f"{layout}_{i}_{os.path.basename(csv)}", read(csv)[:20000])
for i, cells in enumerate(['"[0.75, 0.75]"', "[1.5,0.7,0.7]", "0.75", "1e-3, 2", "[-1.0, 0, 0, 0]"]):
    put("number_list", f"cells_{i}", bytes([i % 8]) + cells.encode())
# NIfTI: a CT-RATE volume, its TotalSegmentator mask, and a Rad-ChestCT mask.
for i, nii in enumerate([sorted(glob.glob(os.path.join(work, "ctrate/dataset/train/**/*.nii.gz"), recursive=True))[0],
                         sorted(glob.glob(os.path.join(work, "ctrate/totalsegmentator/**/*.nii.gz"), recursive=True))[0],
                         sorted(glob.glob(os.path.join(work, "radchest/totalsegmentator/*.nii.gz")))[0]]):
    put("nifti", f"{i}_{os.path.basename(nii)}", read(nii))
    # Uncompressed too: a mutated gzip stream mostly fails its CRC, so only plain .nii inputs let the fuzzer
    # reach nifti2's header and our geometry checks with varied fields.
    put("nifti", f"{i}_{os.path.basename(nii)[:-3]}", gzip.decompress(read(nii)))
# npz volumes (the generator writes one deflated, one stored, as numpy.savez_compressed and savez do) and the
# .npy members inside them.
for i, npz in enumerate(sorted(glob.glob(os.path.join(work, "radchest", "**", "*.npz"), recursive=True))[:2]):
    put("npz", f"radchest_{i}.npz", read(npz))
    with zipfile.ZipFile(npz) as z:
        for name in z.namelist()[:2]:
            put("npy", f"radchest_{i}_{name}", z.read(name))
# Report texts for the tokenizer, with unusual Unicode from CT-RATE-like reports.
for i, text in enumerate(["The lungs are clear. No pleural effusion.", "Émphysème: ΣΙΣΥΦΟΣ σ ς [CLS] 12 mm nodule.",
                          "Kalp boyutları normal. Ödem yok.", "a\u0301\u200b\u00a0x\tdone"]):
    put("tokenizer", f"text_{i}.txt", text.encode())
put("tokenizer", "vocab_head.txt", read(os.path.join(work, "lz4", "vocab.txt"))[:4000])
# Chunk decoder: stored chunks of both shards, prefixed with the harness's pipeline selector (the dataset's own
# filters), the chunk's filter mask and its decoded size.
import h5py, numpy
def selector(dataset):
    plist = dataset.id.get_create_plist()
    ids = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    pipelines = {(32004,): 0, (32004, 3): 1, (2, 1): 2, (2, 1, 3): 3, (3,): 4, (2,): 5, (2, 3): 6, (): 7}
    if tuple(ids) not in pipelines:
        return None
    return pipelines[tuple(ids)] | ((dataset.dtype.itemsize - 1) & 15) << 3
for kind in ("lz4", "deflate"):
    with h5py.File(os.path.join(work, kind, "shard-00000.h5"), "r") as f:
        found = []
        f.visititems(lambda name, obj: found.append(obj) if isinstance(obj, h5py.Dataset) and obj.chunks else None)
        for i, d in enumerate(found[:3]):
            sel = selector(d)
            if sel is None:
                continue
            mask, chunk = d.id.read_direct_chunk((0,) * len(d.shape))
            decoded = int(numpy.prod(d.chunks)) * d.dtype.itemsize
            if decoded < 1 << 20:
                put("chunk_decoder", f"{kind}_{i}", bytes([sel, mask & 255]) + decoded.to_bytes(3, "little") + chunk)
for i, raw in enumerate([b"\x04\x00\x04\x00\x00abcd\x00\x00\x00\x00", b"\x07\x00\x03\x00\x00xyz", b"\x05\x00\x08\x00\x00" + bytes(range(8))]):
    put("chunk_decoder", f"hand_{i}", raw)
PY
# Configuration: the presets, and a file that starts from one.
for p in tiny small base; do "$cagcl" config --config "$p" >"$out/config/$p.yaml" 2>/dev/null; done
printf 'base: tiny\ntrain:\n  steps: 3\n  lr: 1e-4\ndata:\n  crop: [32, 64, 64]\n' >"$out/config/override.yaml"
echo "seed corpora written to $out:"
for d in "$out"/*/; do
  printf '  %-22s %3d files %6d KB\n' "$(basename "$d")" "$(find "$d" -type f | wc -l)" "$(du -sk "$d" | cut -f1)"
done
