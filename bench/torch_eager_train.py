#!/usr/bin/env python3
"""PyTorch eager training step of the same model shape as a cagcl preset, for comparing with bench/train.

  python3 bench/torch_eager_train.py [--config configs/base.yaml] [--batch 4] [--steps 8] [--text-len 128]

Builds, from the preset's keys, what dominates a cagcl step: a ViT over the 3D crop (vision.patch, width,
depth, heads, mlp_ratio: pre-norm encoder layers, GELU), a BERT-sized text encoder (text.width, layers, heads,
intermediate) over one report per (sample, anatomy), projections to model.embed_dim, attention pooling of the
patch tokens per anatomy (model.pool_heads), and a symmetric InfoNCE loss per anatomy with a learned
temperature; AdamW (train.lr, weight_decay, betas) with gradient clipping (train.grad_clip), bf16 autocast when
train.precision is bf16. Random inputs stand in for the volumes and token ids: this measures the GPU work, not
the loader. Not the same model to the digit (cagcl's anatomy masks, the global loss and its gathers across ranks
are left out), so compare throughputs as an order of magnitude, not as a regression test.

Prints one JSON line: samples/s, mean step time, peak CUDA memory, the device name and the torch version.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml


def encoder(width, depth, heads, ffn):
    layer = nn.TransformerEncoderLayer(width, heads, ffn, dropout=0.0, activation="gelu", batch_first=True,
                                       norm_first=True)
    return nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)


class EagerModel(nn.Module):
    def __init__(self, cfg, anatomies, vocab=30522):
        super().__init__()
        v, t, m = cfg["vision"], cfg["text"], cfg["model"]
        crop, patch = cfg["data"]["crop"], v["patch"]
        self.tokens = math.prod(c // p for c, p in zip(crop, patch))
        self.patch = nn.Conv3d(1, v["width"], kernel_size=patch, stride=patch)
        self.vision_pos = nn.Parameter(torch.zeros(1, self.tokens, v["width"]))
        self.vision = encoder(v["width"], v["depth"], v["heads"], int(v["width"] * v["mlp_ratio"]))
        self.embed = nn.Embedding(vocab, t["width"])
        self.text_pos = nn.Parameter(torch.zeros(1, t["max_length"], t["width"]))
        self.text = encoder(t["width"], t["layers"], t["heads"], t["intermediate"])
        self.v_proj = nn.Linear(v["width"], m["embed_dim"])
        self.t_proj = nn.Linear(t["width"], m["embed_dim"])
        self.queries = nn.Parameter(torch.randn(anatomies, m["embed_dim"]) * 0.02)
        self.pool = nn.MultiheadAttention(m["embed_dim"], m["pool_heads"], batch_first=True)
        self.log_tau = nn.Parameter(torch.tensor(math.log(m["tau_init"])))

    def forward(self, volume, token_ids):
        b = volume.shape[0]
        x = self.patch(volume).flatten(2).transpose(1, 2) + self.vision_pos
        x = self.v_proj(self.vision(x))                                   # (b, tokens, d)
        q = self.queries.unsqueeze(0).expand(b, -1, -1)
        v, _ = self.pool(q, x, x)                                          # (b, anatomies, d)
        a, length = token_ids.shape[1], token_ids.shape[2]
        ids = token_ids.reshape(b * a, length)
        y = self.text(self.embed(ids) + self.text_pos[:, :length])
        t = self.t_proj(y[:, 0]).reshape(b, a, -1)                         # [CLS] pooling
        return F.normalize(v.float(), dim=-1), F.normalize(t.float(), dim=-1)


def loss_fn(v, t, log_tau):
    logits = torch.einsum("bad,cad->abc", v, t) / log_tau.exp()          # per anatomy: (b, b)
    target = torch.arange(v.shape[0], device=v.device).expand(v.shape[1], -1)
    return sum(F.cross_entropy(logits[i], target[i]) + F.cross_entropy(logits[i].T, target[i])
               for i in range(v.shape[1])) / 2


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="configs/base.yaml")
    p.add_argument("--batch", type=int, default=4, help="samples per step (one GPU)")
    p.add_argument("--steps", type=int, default=8, help="timed steps after 2 warm-up steps")
    p.add_argument("--text-len", type=int, default=128, help="tokens per report (at most text.max_length)")
    args = p.parse_args()
    with open(args.config) as f:
        cfg = yaml.safe_load(f)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    anatomies = len(cfg["data"]["anatomies"])
    model = EagerModel(cfg, anatomies).to(device)
    tr = cfg["train"]
    opt = torch.optim.AdamW(model.parameters(), lr=tr["lr"], betas=(tr["beta1"], tr["beta2"]),
                            weight_decay=tr["weight_decay"])
    bf16 = tr.get("precision") == "bf16"
    volume = torch.randn(args.batch, 1, *cfg["data"]["crop"], device=device)
    length = min(args.text_len, cfg["text"]["max_length"])
    ids = torch.randint(0, 30522, (args.batch, anatomies, length), device=device)

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            v, t = model(volume, ids)
        loss = loss_fn(v, t, model.log_tau)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tr["grad_clip"])
        opt.step()
        return loss

    for _ in range(2):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        loss = step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    mean = sum(times) / len(times)
    print(json.dumps({
        "bench": "torch_eager_train", "config": args.config, "batch": args.batch, "text_len": length,
        "precision": "bf16" if bf16 else "fp32", "vision_tokens": model.tokens,
        "parameters": sum(p.numel() for p in model.parameters()), "steps": args.steps,
        "mean_step_s": mean, "samples_per_s": args.batch / mean, "last_loss": float(loss),
        "peak_cuda_bytes": torch.cuda.max_memory_allocated() if device.type == "cuda" else None,
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "torch": torch.__version__}))


if __name__ == "__main__":
    main()
