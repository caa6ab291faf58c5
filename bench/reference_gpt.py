#!/usr/bin/env python3
"""PyTorch reference of scalelab's GPT (model/gpt.cpp) and training step (trainer/train.cpp).

The speed benchmark (bench/bench_speed.sh) runs this next to `scalelab train` on the same device,
batch, T and thread count: it is what a user would otherwise write in Python, eager or under
torch.compile. Module names, registration order and initialisation follow model/gpt.cpp, so the
same torch.manual_seed gives bit-identical starting weights; with a periodic dataset (make-data
--period T) every batch of either trainer is the same rows, so the two loss traces must agree
(bench_speed.sh checks that before it times anything).

  reference_gpt.py make-data --out DIR --vocab-size V [--period T] [--train-tokens N]
  reference_gpt.py train --config RUN/summary.json [--set train.batch_size=16] [--mode compile]
                         [--warmup 5] [--steps 20] [--data DIR] [--json OUT]

--config takes a summary.json (its "config"), that object alone, or a run folder's resolved
config.yaml (needs PyYAML): every field must be present, so there are no defaults to drift from
configs/config.h.
"""
import argparse, json, math, os, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SHARD_MAGIC, HEADER_INTS = 20240520, 256  # data/shard.h: llm.c's layout


# ----- configuration (configs/config.h) -------------------------------------------------------

def load_config(path, overrides):
    if path.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            sys.exit(f"reference_gpt: error: {path}: reading YAML needs PyYAML; pass summary.json instead")
        cfg = yaml.safe_load(open(path))
    else:
        cfg = json.load(open(path))
        cfg = cfg.get("config", cfg)
    for item in overrides:
        key, _, value = item.partition("=")
        section, _, field = key.partition(".")
        if section not in cfg or field not in cfg[section]:
            sys.exit(f"reference_gpt: error: --set {item}: unknown key '{key}'")
        old = cfg[section][field]
        cfg[section][field] = (value.lower() == "true") if isinstance(old, bool) else type(old)(value)
    for key in ("vocab_size", "block_size", "n_layer", "n_head", "n_kv_head", "n_embd", "ffn_hidden",
                "ffn_multiple_of", "norm", "mlp", "pos", "rope_theta", "norm_eps", "tie_embeddings",
                "pad_vocab_multiple"):
        if key not in cfg["model"]:
            sys.exit(f"reference_gpt: error: {path}: model.{key} missing (give a resolved config)")
    return cfg


def ffn_dim(m):  # ModelConfig::ffn_dim: Llama's 8/3 d (SwiGLU) or 4 d, rounded up
    if m["ffn_hidden"] > 0:
        return m["ffn_hidden"]
    hidden = (8 * m["n_embd"]) // 3 if m["mlp"] == "swiglu" else 4 * m["n_embd"]
    mult = max(m["ffn_multiple_of"], 1)
    return (hidden + mult - 1) // mult * mult


def padded_vocab(m):
    mult = max(m["pad_vocab_multiple"], 1)
    return (m["vocab_size"] + mult - 1) // mult * mult


def llround(x):  # C's llround (halves away from zero); Python's round() takes halves to even
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def learning_rate(sched, optim, step, total):  # trainer/schedule.cpp
    warmup = sched["warmup_steps"] if sched["warmup_steps"] > 0 else llround(sched["warmup_fraction"] * total)
    warmup = min(warmup, total)
    lr, min_lr = optim["lr"], optim["min_lr"]
    if step < warmup:
        return lr * (step + 1) / warmup
    if sched["kind"] == "constant":
        return lr
    if sched["kind"] == "wsd":
        n_decay = max(1, llround(sched["decay_fraction"] * total))
        start = max(warmup, total - n_decay)
        if step < start:
            return lr
        return lr - (lr - min_lr) * min((step - start + 1) / (total - start), 1.0)
    n_decay = total - warmup
    p = 1.0 if n_decay <= 1 else min(1.0, (step - warmup) / (n_decay - 1))
    if sched["kind"] == "linear":
        return lr - (lr - min_lr) * p
    return min_lr + 0.5 * (lr - min_lr) * (1.0 + math.cos(math.pi * p))


# ----- the model (model/gpt.cpp) --------------------------------------------------------------

class NormLayer(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.kind, self.eps, self.dim = m["norm"], m["norm_eps"], m["n_embd"]
        self.weight = nn.Parameter(torch.ones(self.dim))
        if self.kind == "layernorm":
            self.bias = nn.Parameter(torch.zeros(self.dim))

    def forward(self, x):
        if self.kind == "layernorm":
            return F.layer_norm(x, (self.dim,), self.weight, self.bias, self.eps)
        return F.rms_norm(x, (self.dim,), self.weight, self.eps)


def rope_tables(block_size, head_dim, theta):  # half-split ("rotate_half"), computed in float64
    inv_freq = 1.0 / torch.pow(theta, torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    freqs = torch.outer(torch.arange(block_size, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), -1)  # (T, head_dim)
    return emb.cos().float(), emb.sin().float()


def apply_rope(x, cos, sin):  # x: (B, H, T, head_dim)
    half = x.size(-1) // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), -1)
    return x * cos.to(x.dtype) + rotated * sin.to(x.dtype)


def alibi_slopes(n_head):  # Press et al. 2022, as model/gpt.cpp
    def power_of_two(n):
        return [(2.0 ** (-8.0 / n)) ** k for k in range(1, n + 1)]
    p = 2 ** int(math.log2(n_head))
    return (power_of_two(p) + power_of_two(2 * p)[::2])[:n_head]


class Attention(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.n_head, self.n_kv_head = m["n_head"], m["n_kv_head"] or m["n_head"]
        self.head_dim = m["n_embd"] // m["n_head"]
        d, hd = m["n_embd"], self.head_dim
        self.q_proj = nn.Linear(d, self.n_head * hd, bias=False)
        self.k_proj = nn.Linear(d, self.n_kv_head * hd, bias=False)
        self.v_proj = nn.Linear(d, self.n_kv_head * hd, bias=False)
        self.o_proj = nn.Linear(self.n_head * hd, d, bias=False)

    def forward(self, x, cos, sin, alibi):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.n_head, self.head_dim).transpose(1, 2)  # (B, H, T, hd)
        k = self.k_proj(x).view(B, T, self.n_kv_head, self.head_dim).transpose(1, 2)  # (B, Hkv, T, hd)
        v = self.v_proj(x).view(B, T, self.n_kv_head, self.head_dim).transpose(1, 2)
        if cos is not None:
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        gqa = self.n_kv_head != self.n_head
        if alibi is not None:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=alibi.to(q.dtype), enable_gqa=gqa)
        else:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=gqa)
        return self.o_proj(y.transpose(1, 2).reshape(B, T, self.n_head * self.head_dim))


class FeedForward(nn.Module):
    def __init__(self, m):
        super().__init__()
        d, hidden = m["n_embd"], ffn_dim(m)
        self.swiglu = m["mlp"] == "swiglu"
        if self.swiglu:
            self.gate_proj = nn.Linear(d, hidden, bias=False)
        self.up_proj = nn.Linear(d, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, d, bias=False)

    def forward(self, x):
        if self.swiglu:
            return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))
        return self.down_proj(F.gelu(self.up_proj(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.input_layernorm = NormLayer(m)
        self.self_attn = Attention(m)
        self.post_attention_layernorm = NormLayer(m)
        self.mlp = FeedForward(m)

    def forward(self, x, cos, sin, alibi):
        h = x + self.self_attn(self.input_layernorm(x), cos, sin, alibi)
        return h + self.mlp(self.post_attention_layernorm(h))


class GPT(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
        self.embed_tokens = nn.Embedding(padded_vocab(m), m["n_embd"])
        if m["pos"] == "learned":
            self.embed_positions = nn.Embedding(m["block_size"], m["n_embd"])
        self.layers = nn.ModuleList(Block(m) for _ in range(m["n_layer"]))
        self.norm = NormLayer(m)
        self.lm_head = None if m["tie_embeddings"] else nn.Linear(m["n_embd"], padded_vocab(m), bias=False)
        cos = sin = bias = None
        if m["pos"] == "rope":
            cos, sin = rope_tables(m["block_size"], m["n_embd"] // m["n_head"], m["rope_theta"])
        if m["pos"] == "alibi":
            T = m["block_size"]
            slopes = torch.tensor(alibi_slopes(m["n_head"])).float().view(1, -1, 1, 1)
            pos = torch.arange(T, dtype=torch.float32)
            causal = torch.ones(T, T, dtype=torch.bool).tril()
            bias = (slopes * (pos.view(1, -1) - pos.view(-1, 1))).masked_fill(~causal, float("-inf"))
        self.register_buffer("rope_cos", cos)  # (block_size, head_dim) or None
        self.register_buffer("rope_sin", sin)
        self.register_buffer("alibi", bias)  # (1, H, T, T) or None
        self.init_weights()

    @torch.no_grad()
    def init_weights(self):  # GPT-2: N(0, 0.02), residual projections / sqrt(2 n_layer)
        residual_std = 0.02 / math.sqrt(2.0 * self.m["n_layer"])
        for name, p in self.named_parameters():
            if p.dim() < 2:
                continue
            residual = "o_proj" in name or "down_proj" in name
            p.normal_(0.0, residual_std if residual else 0.02)

    def forward(self, idx, targets):  # mean next-token cross-entropy, logits cast to fp32
        T = idx.size(1)
        x = self.embed_tokens(idx)
        if self.m["pos"] == "learned":
            x = x + self.embed_positions(torch.arange(T, device=idx.device))
        cos = sin = alibi = None
        if self.rope_cos is not None:
            cos, sin = self.rope_cos[:T], self.rope_sin[:T]
        if self.alibi is not None:
            alibi = self.alibi[:, :, :T, :T]
        for layer in self.layers:
            x = layer(x, cos, sin, alibi)
        x = self.norm(x)
        logits = self.lm_head(x) if self.lm_head is not None else F.linear(x, self.embed_tokens.weight)
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), targets.reshape(-1))


# ----- data (data/shard.h, data/manifest.h) ---------------------------------------------------

def make_data(args):
    """A dataset of random token ids with a hand-written manifest ("external" tokenizer). With
    --period T the stream repeats one random row of T tokens and holds k T + 1 tokens, so every
    non-overlapping window that data/loader.cpp can draw holds the same ids."""
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    dtype, version = (np.uint16, 1) if args.vocab_size <= 65536 else (np.uint32, 2)

    def write(split, n):
        if args.period:
            k = max(2, n // args.period)
            row = rng.integers(0, args.vocab_size, args.period)
            tokens = np.concatenate([np.tile(row, k), row[:1]])
        else:
            tokens = rng.integers(0, args.vocab_size, n)
        header = np.zeros(HEADER_INTS, np.int32)
        header[:4] = (SHARD_MAGIC, version, len(tokens), np.dtype(dtype).itemsize)
        name = f"{split}_000000.bin"
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(header.tobytes())
            f.write(tokens.astype(dtype).tobytes())
        return {"n_tokens": int(len(tokens)), "n_docs": 1, "n_bytes": 0,
                "shards": [{"file": name, "n_tokens": int(len(tokens)), "sha256": ""}]}

    train, val = write("train", args.train_tokens), write("val", max(args.train_tokens // 10, 4 * (args.period or 1024) + 1))
    manifest = {"format": "scalelab-dataset", "version": 1, "tokenizer": "external", "tokenizer_model": "",
                "vocab_size": args.vocab_size, "eot_token": 0, "n_train_tokens": train["n_tokens"],
                "n_val_tokens": val["n_tokens"], "splits": {"train": train, "val": val},
                "prepare": {"made_by": "bench/reference_gpt.py make-data", "seed": args.seed, "period": args.period}}
    json.dump(manifest, open(os.path.join(args.out, "manifest.json"), "w"), indent=2)
    print(args.out)


class Batches:
    """B rows of T + 1 ids per call: uniformly drawn non-overlapping windows of the train split
    (nanoGPT's sampling on the loader's window grid), or random ids when no dataset is given."""

    def __init__(self, data_dir, vocab, T, seed, device):
        self.T, self.vocab, self.device = T, vocab, device
        self.rng = np.random.default_rng(seed)
        self.shards = []
        if data_dir:
            manifest = json.load(open(os.path.join(data_dir, "manifest.json")))
            for s in manifest["splits"]["train"]["shards"]:
                path = os.path.join(data_dir, s["file"])
                header = np.fromfile(path, np.int32, HEADER_INTS)
                dtype = np.uint16 if header[1] == 1 else np.uint32
                self.shards.append(np.memmap(path, dtype, "r", offset=HEADER_INTS * 4, shape=(int(header[2]),)))
            self.windows = np.array([(len(s) - 1) // T for s in self.shards])

    def next(self, B):
        if not self.shards:
            return torch.randint(0, self.vocab, (B, self.T + 1), device=self.device)
        which = self.rng.choice(len(self.shards), B, p=self.windows / self.windows.sum())
        rows = np.stack([self.shards[s][w * self.T: w * self.T + self.T + 1]
                         for s, w in zip(which, self.rng.integers(0, self.windows[which]))]).astype(np.int64)
        rows = torch.from_numpy(rows)
        return rows if self.device.type == "cpu" else rows.pin_memory().to(self.device, non_blocking=True)


# ----- training (trainer/train.cpp) -----------------------------------------------------------

def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train(args):
    cfg = load_config(args.config, args.set)
    m, t, o = cfg["model"], cfg["train"], cfg["optim"]
    if args.threads > 0 or t["threads"] > 0:
        torch.set_num_threads(args.threads or t["threads"])
    want = args.device or t["device"]
    device = torch.device("cuda" if want == "auto" and torch.cuda.is_available() else ("cpu" if want == "auto" else want))
    bf16 = t["precision"] == "bf16" or (t["precision"] == "auto" and device.type == "cuda")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True  # as trainer/train.cpp does for fp32 matmuls
    B, T, micro = t["batch_size"], m["block_size"], t["micro_batch_size"] or t["batch_size"]
    n_micro, total_steps = B // micro, args.warmup + args.steps

    torch.manual_seed(t["seed"])  # the same CPU generator draws as GPT(mc) in C++: identical weights
    model = GPT(m).to(device)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": o["weight_decay"]}] + \
        ([{"params": no_decay, "weight_decay": 0.0}] if no_decay else [])
    optimizer = torch.optim.AdamW(groups, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], fused=True)
    step_fn = torch.compile(model) if args.mode == "compile" else model
    batches = Batches(args.data, m["vocab_size"], T, t["seed"], device)
    clip = o["grad_clip"] if o["grad_clip"] > 0 else float("inf")

    losses, start, warm_start = [], None, time.perf_counter()
    for step in range(total_steps):
        if step == args.warmup:
            sync(device)
            start, cpu_start = time.perf_counter(), time.process_time()
        lr = learning_rate(cfg["schedule"], o, step, total_steps)
        for g in optimizer.param_groups:
            g["lr"] = lr
        loss_sum = torch.zeros((), device=device)
        for _ in range(n_micro):
            rows = batches.next(micro)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                loss = step_fn(rows[:, :T], rows[:, 1:])
            (loss / n_micro).backward()
            loss_sum += loss.detach() / n_micro
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if (step + 1) % args.log_every == 0 or step + 1 == total_steps:
            losses.append([step + 1, loss_sum.item()])  # the one host sync, every log_every steps
    sync(device)
    elapsed, cpu_elapsed = time.perf_counter() - start, time.process_time() - cpu_start
    n_params = sum(p.numel() for p in model.parameters())
    result = {
        "impl": "pytorch-" + args.mode, "torch_version": torch.__version__, "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "precision": "bf16" if bf16 else ("tf32" if device.type == "cuda" else "fp32"),
        "threads": torch.get_num_threads(), "batch_size": B, "micro_batch_size": micro, "block_size": T,
        "params": n_params, "warmup_steps": args.warmup, "timed_steps": args.steps,
        "warmup_seconds": start - warm_start, "timed_seconds": elapsed,
        "timed_cpu_seconds": cpu_elapsed,  # this process, all threads
        "tokens_per_s": args.steps * B * T / elapsed, "losses": losses, "data": args.data or "random",
        "peak_memory_bytes": torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None,
        "config": cfg,
    }
    if args.json:
        json.dump(result, open(args.json, "w"), indent=1)
    print(f"[reference] {result['impl']} on {result['device_name']}: N = {n_params}, "
          f"{result['tokens_per_s']:.0f} tok/s over {args.steps} steps, final loss {losses[-1][1]:.4f}",
          file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("make-data", help="write a random-token dataset in scalelab's format")
    d.add_argument("--out", required=True)
    d.add_argument("--vocab-size", type=int, required=True)
    d.add_argument("--train-tokens", type=int, default=1 << 20)
    d.add_argument("--period", type=int, default=0, help="repeat one row of this many tokens (= T)")
    d.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("train", help="train the reference model and time it")
    r.add_argument("--config", required=True, help="summary.json, its config object, or a resolved config.yaml")
    r.add_argument("--set", action="append", default=[], help="key.path=value override (repeatable)")
    r.add_argument("--mode", choices=["eager", "compile"], default="eager")
    r.add_argument("--device", default="", help="cpu | cuda | cuda:K (default: the config's train.device)")
    r.add_argument("--threads", type=int, default=0, help="intra-op threads (default: the config's)")
    r.add_argument("--warmup", type=int, default=5, help="untimed steps first (compilation, allocator)")
    r.add_argument("--steps", type=int, default=20, help="timed steps")
    r.add_argument("--log-every", type=int, default=1, help="read the loss back every k steps")
    r.add_argument("--data", default="", help="dataset folder; none = random ids made on the device")
    r.add_argument("--json", default="", help="write the result here")
    args = parser.parse_args()
    make_data(args) if args.command == "make-data" else train(args)


if __name__ == "__main__":
    main()
