#!/usr/bin/env python3
"""`cagcl export --bert-only --out DIR` against HuggingFace's BertModel conventions, read without cagcl's code.

Writes a checkpoint holding a BERT of odd sizes (24 wide, 2 layers, 3 heads, 40 intermediate) with its own
safetensors writer, exports it through the cagcl binary, then reads the directory with Python's json and struct
modules only: config.json's fields (transformers' BertConfig names), model.safetensors' header (HF BertModel
parameter names and shapes derived from config.json, F32, contiguous offsets, metadata format=pt) and bytes
(equal to the checkpoint's), vocab.txt (the run's tokens in id order) and tokenizer_config.json (BertTokenizer,
lower case). Where transformers is installed (the device machine), BertModel.from_pretrained must load the
directory with only the pooler missing. Also checks that an export never writes into a non-empty directory.

Usage: hf_bert_directory_conventions.py PATH/TO/cagcl
"""
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

WIDTH, LAYERS, HEADS, INTERMEDIATE, MAX_LENGTH, POSITIONS, TYPES = 24, 2, 3, 40, 20, 512, 2
VOCAB = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"] + ["tok%d" % i for i in range(5, 37)]

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)


def hf_bert_shapes(config):
    """BertModel's parameters (no pooler) as transformers' modeling_bert.py names them, from a config.json."""
    c, i = config["hidden_size"], config["intermediate_size"]
    shapes = {
        "embeddings.word_embeddings.weight": [config["vocab_size"], c],
        "embeddings.position_embeddings.weight": [config["max_position_embeddings"], c],
        "embeddings.token_type_embeddings.weight": [config["type_vocab_size"], c],
        "embeddings.LayerNorm.weight": [c],
        "embeddings.LayerNorm.bias": [c],
    }
    for n in range(config["num_hidden_layers"]):
        p = "encoder.layer.%d." % n
        for m in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            shapes[p + m + ".weight"], shapes[p + m + ".bias"] = [c, c], [c]
        shapes[p + "intermediate.dense.weight"], shapes[p + "intermediate.dense.bias"] = [i, c], [i]
        shapes[p + "output.dense.weight"], shapes[p + "output.dense.bias"] = [c, i], [c]
        for m in ("attention.output.LayerNorm", "output.LayerNorm"):
            shapes[p + m + ".weight"], shapes[p + m + ".bias"] = [c], [c]
    return shapes


def write_safetensors(path, tensors):
    """tensors: name -> (shape, float list), written as F32."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        shape, values = tensors[name]
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    return header, data[8 + n:]


def product(shape):
    out = 1
    for s in shape:
        out *= s
    return out


def make_checkpoint(work):
    rng = random.Random(20261206)
    model_config = {"hidden_size": WIDTH, "intermediate_size": INTERMEDIATE, "vocab_size": len(VOCAB),
                    "max_position_embeddings": POSITIONS, "type_vocab_size": TYPES, "num_hidden_layers": LAYERS}
    tensors = {}
    for name, shape in hf_bert_shapes(model_config).items():
        tensors["text.bert." + name] = (shape, [rng.uniform(-1, 1) for _ in range(product(shape))])
    tensors["text.projection.weight"] = ([8, WIDTH], [rng.uniform(-1, 1) for _ in range(8 * WIDTH)])
    tensors["tau_local"] = ([], [0.07])
    write_safetensors(os.path.join(work, "model.safetensors"), tensors)
    return tensors


def run_export(cagcl, work, out):
    return subprocess.run([cagcl, "export", "--checkpoint", os.path.join(work, "model.safetensors"), "--config",
                           os.path.join(work, "run.yaml"), "--vocab", os.path.join(work, "vocab.txt"),
                           "--bert-only", "--out", out], capture_output=True, text=True)


def check_directory(out, checkpoint):
    with open(os.path.join(out, "config.json")) as f:
        config = json.load(f)
    expected = {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": len(VOCAB), "hidden_size": WIDTH,
                "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": INTERMEDIATE,
                "hidden_act": "gelu", "max_position_embeddings": POSITIONS, "type_vocab_size": TYPES,
                "layer_norm_eps": 1e-12, "pad_token_id": VOCAB.index("[PAD]"), "position_embedding_type": "absolute",
                "torch_dtype": "float32"}
    for key, value in expected.items():
        check(config.get(key) == value, "config.json %s: %r, expected %r" % (key, config.get(key), value))
    for key in ("hidden_dropout_prob", "attention_probs_dropout_prob", "initializer_range"):
        check(isinstance(config.get(key), float), "config.json %s: %r is not a float" % (key, config.get(key)))

    header, data = read_safetensors(os.path.join(out, "model.safetensors"))
    check(header.get("__metadata__", {}).get("format") == "pt", "model.safetensors: metadata format is not pt")
    entries = {k: v for k, v in header.items() if k != "__metadata__"}
    shapes = hf_bert_shapes(config)
    check(set(entries) == set(shapes), "tensor names: extra %s, missing %s" %
          (sorted(set(entries) - set(shapes))[:5], sorted(set(shapes) - set(entries))[:5]))
    end = 0
    for name, entry in sorted(entries.items(), key=lambda item: item[1]["data_offsets"][0]):
        begin, stop = entry["data_offsets"]
        check(begin == end, "%s: starts at %d, the previous tensor ends at %d" % (name, begin, end))
        end = stop
        check(entry["dtype"] == "F32", "%s: dtype %s" % (name, entry["dtype"]))
        if name in shapes:
            check(entry["shape"] == shapes[name], "%s: shape %s, BertModel's %s" % (name, entry["shape"], shapes[name]))
        original = checkpoint.get("text.bert." + name)
        if original is not None:
            check(data[begin:stop] == struct.pack("<%df" % len(original[1]), *original[1]),
                  "%s: bytes differ from the checkpoint's" % name)
    check(end == len(data), "model.safetensors: %d data bytes, the offsets cover %d" % (len(data), end))

    with open(os.path.join(out, "vocab.txt")) as f:
        check(f.read().split("\n")[:-1] == VOCAB, "vocab.txt is not the run's vocabulary in id order")
    with open(os.path.join(out, "tokenizer_config.json")) as f:
        tokenizer = json.load(f)
    for key, value in {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": MAX_LENGTH,
                       "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                       "mask_token": "[MASK]"}.items():
        check(tokenizer.get(key) == value, "tokenizer_config.json %s: %r, expected %r" % (key, tokenizer.get(key), value))


def check_with_transformers(out):
    try:
        import transformers  # noqa: F401 (present on the device machine only)
    except ImportError:
        print("transformers is not installed: BertModel.from_pretrained not tried")
        return
    model, info = transformers.BertModel.from_pretrained(out, output_loading_info=True)
    check(all(k.startswith("pooler.") for k in info["missing_keys"]), "from_pretrained missing: %s" % info)
    check(not info["unexpected_keys"], "from_pretrained unexpected: %s" % info["unexpected_keys"])
    tokenizer = transformers.BertTokenizer.from_pretrained(out)
    check(tokenizer.pad_token_id == VOCAB.index("[PAD]"), "BertTokenizer pad id %d" % tokenizer.pad_token_id)
    print("transformers %s: BertModel.from_pretrained loaded the directory" % transformers.__version__)


def main():
    cagcl = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="cagcl-hf-conventions-") as work:
        with open(os.path.join(work, "vocab.txt"), "w") as f:
            f.write("".join(t + "\n" for t in VOCAB))
        with open(os.path.join(work, "run.yaml"), "w") as f:
            f.write("base: tiny\ntext:\n  width: %d\n  layers: %d\n  heads: %d\n  intermediate: %d\n  max_length: %d\n"
                    % (WIDTH, LAYERS, HEADS, INTERMEDIATE, MAX_LENGTH))
        checkpoint = make_checkpoint(work)
        out = os.path.join(work, "hf")
        result = run_export(cagcl, work, out)
        if result.returncode != 0:
            print("cagcl export failed (%d):\n%s%s" % (result.returncode, result.stdout, result.stderr))
            return 1
        check_directory(out, checkpoint)
        check_with_transformers(out)

        # An export never writes into a directory that holds something: exit 2, the directory as it was.
        os.makedirs(os.path.join(work, "taken"))
        with open(os.path.join(work, "taken", "keep"), "w") as f:
            f.write("mine")
        again = run_export(cagcl, work, os.path.join(work, "taken"))
        check(again.returncode == 2, "export into a non-empty directory: exit %d\n%s" % (again.returncode, again.stderr))
        check(os.listdir(os.path.join(work, "taken")) == ["keep"], "the non-empty directory was changed")
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print("the exported directory follows HF BertModel's conventions")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
