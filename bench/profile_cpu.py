#!/usr/bin/env python3
"""Where a CPU training step of our model spends its time, and what changes to the model code
would buy, measured on bench/reference_gpt.py's model: it runs the same ATen kernels as
model/gpt.cpp, so CPU-time shares and savings carry over to `scalelab train`.

  1. self CPU time per group of ATen ops (torch.profiler) over 10 steps;
  2. CPU ms per step of model variants, interleaved round by round (medians): components removed
     (rope, norm: upper bounds on what a fused kernel could save) and restructurings (fused q/k/v
     and gate/up projections, rope on contiguous (B, T, H, hd) before the transpose).

  profile_cpu.py --config RUN/summary.json [--batch-size 16] [--threads 1] [--rounds 20] [--json OUT]
Run it with the same malloc settings as the trainer under study (e.g. GLIBC_TUNABLES) so that
page faults do not blur the comparison.
"""
import argparse, json, statistics, sys, time, os

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_gpt as R  # noqa: E402

GROUPS = {  # op-name fragments per group, first match wins
    "matmul": ["aten::mm", "aten::addmm", "aten::bmm"],
    "attention (SDPA fwd + bwd)": ["flash_attention"],
    "cross-entropy (log_softmax, nll)": ["log_softmax", "nll_loss"],
    "elementwise (norm, rope, swiglu, residual)": ["aten::mul", "aten::add", "aten::neg", "aten::div", "aten::pow",
                                                   "aten::rsqrt", "aten::mean", "aten::sum"],
    "silu": ["silu"], "fill_/zero_": ["aten::fill_", "aten::zero_"],
    "copies (cat, copy_, clone)": ["aten::cat", "aten::copy_", "aten::clone"],
    "optimizer + clipping": ["adamw", "foreach", "norm"], "embedding": ["embedding", "index"],
}


class FusedAttention(R.Attention):  # one (H + 2 Hkv) hd projection and/or rope before the transpose
    def __init__(self, m, fuse_qkv, rope_first):
        super().__init__(m)
        self.fuse_qkv, self.rope_first = fuse_qkv, rope_first
        if fuse_qkv:
            self.qkv = nn.Linear(m["n_embd"], (self.n_head + 2 * self.n_kv_head) * self.head_dim, bias=False)

    def forward(self, x, cos, sin, alibi):
        B, T, _ = x.shape
        hd, H, Hkv = self.head_dim, self.n_head, self.n_kv_head
        if self.fuse_qkv:
            q, k, v = self.qkv(x).split([H * hd, Hkv * hd, Hkv * hd], -1)
        else:
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        q, k, v = q.view(B, T, H, hd), k.view(B, T, Hkv, hd), v.view(B, T, Hkv, hd)  # (B, T, H, hd)
        if self.rope_first and cos is not None:
            q, k = R.apply_rope(q, cos[:, None], sin[:, None]), R.apply_rope(k, cos[:, None], sin[:, None])
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # (B, H, T, hd)
        if not self.rope_first and cos is not None:
            q, k = R.apply_rope(q, cos, sin), R.apply_rope(k, cos, sin)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=H != Hkv)
        return self.o_proj(y.transpose(1, 2).reshape(B, T, H * hd))


class FusedFeedForward(R.FeedForward):  # one 2 x ffn_dim projection for gate and up
    def __init__(self, m):
        super().__init__(m)
        self.gate_up = nn.Linear(m["n_embd"], 2 * R.ffn_dim(m), bias=False)

    def forward(self, x):
        gate, up = self.gate_up(x).chunk(2, -1)
        return self.down_proj(F.silu(gate) * up)


def build(m, variant):
    torch.manual_seed(1)
    model = R.GPT(m)
    if variant in ("no rope", "no rope, no norm"):
        model.rope_cos = model.rope_sin = None
    if variant in ("no norm", "no rope, no norm"):
        for mod in model.modules():
            if isinstance(mod, R.NormLayer):
                mod.forward = lambda x: x
    for block in model.layers:
        if variant in ("fused q/k/v projection", "rope before transpose"):
            block.self_attn = FusedAttention(m, variant == "fused q/k/v projection", variant == "rope before transpose")
        if variant == "fused gate/up projection":
            block.mlp = FusedFeedForward(m)
    return model, torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True)
    p.add_argument("--batch-size", type=int, default=0, help="default: the config's")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--json", default="", help="write the figures here (bench/results/...)")
    args = p.parse_args()
    cfg = R.load_config(args.config, [])
    m, B = cfg["model"], args.batch_size or cfg["train"]["batch_size"]
    T = m["block_size"]
    torch.set_num_threads(args.threads)
    x = torch.randint(0, m["vocab_size"], (B, T + 1))

    def step(model, opt):
        model(x[:, :T], x[:, 1:]).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    base = build(m, "baseline")
    for _ in range(3):
        step(*base)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(10):
            step(*base)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    shares = {g: 0.0 for g in GROUPS} | {"other (dispatch, autograd, small ops)": 0.0}
    for e in events:
        group = next((g for g, keys in GROUPS.items() if any(k in e.key for k in keys)), None)
        shares[group or "other (dispatch, autograd, small ops)"] += e.self_cpu_time_total
    print(f"N = {sum(p.numel() for p in base[0].parameters())}, B x T = {B} x {T}, {args.threads} thread(s): "
          f"{total / 10 / 1e3:.1f} ms/step under the profiler")
    for g, v in sorted(shares.items(), key=lambda kv: -kv[1]):
        print(f"  {100 * v / total:5.1f}%  {g}")

    variants = ["baseline", "no rope", "no norm", "no rope, no norm", "fused q/k/v projection",
                "fused gate/up projection", "rope before transpose"]
    models = {v: build(m, v) for v in variants}
    for model, opt in models.values():
        for _ in range(3):
            step(model, opt)
    times = {v: [] for v in variants}
    for _ in range(args.rounds):
        for v, (model, opt) in models.items():
            start = time.process_time()
            step(model, opt)
            times[v].append(time.process_time() - start)
    t0 = statistics.median(times["baseline"])
    print(f"CPU ms per step, median of {args.rounds} interleaved rounds (removals are upper bounds of a fusion's payoff):")
    for v in variants:
        t = statistics.median(times[v])
        print(f"  {v:26} {1e3 * t:8.1f}   x{t0 / t:.3f}")
    if args.json:
        import platform
        json.dump({"benchmark": "profile_cpu", "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "machine": platform.node(), "loadavg_1_5_15": os.getloadavg(), "torch_version": torch.__version__,
                   "glibc_tunables": os.environ.get("GLIBC_TUNABLES", ""), "threads": args.threads, "batch_size": B,
                   "config": cfg, "op_group_share": {g: v / total for g, v in shares.items()},
                   "cpu_seconds_per_step": {v: statistics.median(t) for v, t in times.items()},
                   "cpu_seconds_per_step_samples": times}, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
