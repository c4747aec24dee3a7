#!/usr/bin/env python3
"""Writes the BERT reference fixture used by tests/model/bert_test.cpp.

An independent float64 re-implementation of HuggingFace's BertModel forward (transformers'
modeling_bert.py: embeddings = LayerNorm(word + position + token_type), post-norm layers, erf GELU,
LayerNorm eps 1e-12, padding as the extended attention mask (1 - mask) * finfo.min), written with numpy
only, on fixed random weights and inputs. The C++ model must reproduce its last_hidden_state.

Outputs (committed, so the tests need no python):
  tests/model/data/bert_reference_weights.safetensors  HF-style keys with a "bert." prefix, float32, plus a
      "cls.predictions.bias" head, a pooler and "bert.embeddings.position_ids" that loading must ignore
  tests/model/data/bert_reference_case.safetensors     input_ids, attention_mask, token_type_ids (I64) and
      last_hidden_state (F64), metadata = the sizes

Regenerate (Debian: apt-get install python3-numpy):
  /usr/bin/python3 tests/model/make_bert_reference.py
The safetensors writer below is a separate implementation from model/safetensors.cpp on purpose.
"""
import json
import math
import os
import struct

import numpy as np

VOCAB, HIDDEN, HEADS, LAYERS, INTERMEDIATE, POSITIONS, TYPES = 40, 8, 2, 2, 16, 512, 2
EPS = 1e-12
SEED = 20261129


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    codes = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64"}
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": codes[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for blob in blobs:
            out.write(blob)


def layer_norm(x, weight, bias):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def linear(x, w, prefix):
    return x @ w[prefix + ".weight"].T + w[prefix + ".bias"]


def bert_forward(w, input_ids, attention_mask, token_type_ids):
    n, length = input_ids.shape
    x = (w["embeddings.word_embeddings.weight"][input_ids]
         + w["embeddings.position_embeddings.weight"][np.arange(length)][None]
         + w["embeddings.token_type_embeddings.weight"][token_type_ids])
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    extended = (1.0 - attention_mask[:, None, None, :].astype(np.float64)) * np.finfo(np.float64).min
    d = HIDDEN // HEADS
    for i in range(LAYERS):
        p = "encoder.layer.%d." % i

        def heads(t):
            return t.reshape(n, length, HEADS, d).transpose(0, 2, 1, 3)

        q = heads(linear(x, w, p + "attention.self.query"))
        k = heads(linear(x, w, p + "attention.self.key"))
        v = heads(linear(x, w, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + extended
        scores = scores - scores.max(-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(n, length, HIDDEN)
        x = layer_norm(linear(context, w, p + "attention.output.dense") + x,
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        hidden = gelu(linear(x, w, p + "intermediate.dense"))
        x = layer_norm(linear(hidden, w, p + "output.dense") + x,
                       w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    return x


def main():
    rng = np.random.default_rng(SEED)

    def normal(*shape, scale=0.5):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    w = {
        "embeddings.word_embeddings.weight": normal(VOCAB, HIDDEN),
        "embeddings.position_embeddings.weight": normal(POSITIONS, HIDDEN),
        "embeddings.token_type_embeddings.weight": normal(TYPES, HIDDEN),
        "embeddings.LayerNorm.weight": 1.0 + normal(HIDDEN, scale=0.1),
        "embeddings.LayerNorm.bias": normal(HIDDEN, scale=0.1),
    }
    for i in range(LAYERS):
        p = "encoder.layer.%d." % i
        for name in ("attention.self.query", "attention.self.key", "attention.self.value",
                     "attention.output.dense"):
            w[p + name + ".weight"] = normal(HIDDEN, HIDDEN)
            w[p + name + ".bias"] = normal(HIDDEN, scale=0.1)
        w[p + "intermediate.dense.weight"] = normal(INTERMEDIATE, HIDDEN)
        w[p + "intermediate.dense.bias"] = normal(INTERMEDIATE, scale=0.1)
        w[p + "output.dense.weight"] = normal(HIDDEN, INTERMEDIATE, scale=0.25)
        w[p + "output.dense.bias"] = normal(HIDDEN, scale=0.1)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + norm + ".weight"] = 1.0 + normal(HIDDEN, scale=0.1)
            w[p + norm + ".bias"] = normal(HIDDEN, scale=0.1)

    input_ids = np.array([[2, 17, 5, 33, 9, 12, 3],
                          [2, 8, 39, 3, 0, 0, 0],
                          [2, 3, 0, 0, 0, 0, 0]], dtype=np.int64)
    attention_mask = (input_ids != 0).astype(np.int64)
    token_type_ids = np.array([[0, 0, 0, 0, 1, 1, 1],
                               [0, 0, 0, 0, 0, 0, 0],
                               [0, 0, 0, 0, 0, 0, 0]], dtype=np.int64)
    expected = bert_forward({k: v.astype(np.float64) for k, v in w.items()}, input_ids, attention_mask,
                            token_type_ids)

    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    os.makedirs(here, exist_ok=True)
    weights = {"bert." + k: v for k, v in w.items()}
    weights["bert.embeddings.position_ids"] = np.arange(POSITIONS, dtype=np.int64)[None]
    weights["bert.pooler.dense.weight"] = normal(HIDDEN, HIDDEN)
    weights["bert.pooler.dense.bias"] = normal(HIDDEN)
    weights["cls.predictions.bias"] = normal(VOCAB)
    write_safetensors(os.path.join(here, "bert_reference_weights.safetensors"), weights, {"format": "pt"})
    sizes = {"vocab_size": VOCAB, "hidden_size": HIDDEN, "num_heads": HEADS, "num_layers": LAYERS,
             "intermediate_size": INTERMEDIATE, "max_position_embeddings": POSITIONS}
    write_safetensors(os.path.join(here, "bert_reference_case.safetensors"),
                      {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids,
                       "last_hidden_state": expected},
                      {k: str(v) for k, v in sizes.items()})


if __name__ == "__main__":
    main()
