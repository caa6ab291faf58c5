#!/usr/bin/env python3
"""One noise pilot's runs -> bench/results/noise_<pilot>_<UTC>.json (experiments/demo/NOISE.md).

    python3 experiments/demo/pilots/collect.py --pilot P --runs DIR --evalall DIR --sweep TEXT
        --command TEXT --out FILE

Per run: its cell (size, budget), tokens per parameter, seeds, the final validation loss on the
demo's 256 windows (loss) and on all windows (loss_all, from run.sh's evaluations). Per cell: the
seed standard deviation with its 95% interval under normality (chi-square with n - 1 degrees of
freedom) and a robust one (1.4826 x the median absolute deviation), which the heavy tail of bad
trunks pulls apart. Per size: the correlation of a trunk's two branches (Fisher-z interval).
Pooled: the root mean of the cells' variances, its interval by resampling whole seeds (a seed's
trunk and branches together), since branches of one trunk are not independent draws; that
percentile interval sits low for a few seeds, so a chi-square one is given too, counting a trunk's
branches as one draw (sizes x (seeds - 1) degrees of freedom: conservative).
Standard library only (python3), like experiments/demo/headlines.py.
"""
import argparse
import json
import math
import random
import statistics as st
from collections import defaultdict
from pathlib import Path

Z975 = st.NormalDist().inv_cdf(0.975)


def chi2_quantile(p, k):
    """Wilson and Hilferty (1931): chi-square quantiles within about 2% for k >= 3."""
    z = st.NormalDist().inv_cdf(p)
    return k * (1 - 2 / (9 * k) + z * math.sqrt(2 / (9 * k))) ** 3


def sd_interval(sd, n):
    """95% interval of a normal sample's standard deviation: sd sqrt((n-1) / chi2_{n-1})."""
    k = n - 1
    return [sd * math.sqrt(k / chi2_quantile(0.975, k)), sd * math.sqrt(k / chi2_quantile(0.025, k))]


def robust_sd(xs):
    med = st.median(xs)
    return 1.4826 * st.median(abs(x - med) for x in xs)


def correlation_interval(r, n):
    """Fisher's z: atanh(r) +- 1.96 / sqrt(n - 3)."""
    if n <= 3 or abs(r) >= 1:
        return None
    z, h = math.atanh(r), Z975 / math.sqrt(n - 3)
    return [math.tanh(z - h), math.tanh(z + h)]


def read_runs(runs_dir, evalall_dir):
    out = []
    for summary in sorted(Path(runs_dir).glob("*/summary.json")):
        s = json.loads(summary.read_text())
        if s["tags"].get("branching") == "trunk" or s["status"] != "finished":
            continue
        train, optim, sched = s["config"]["train"], s["config"]["optim"], s["config"]["schedule"]
        seed = train["seed"]
        data_seed = train.get("data_seed", 0) or seed  # 0 = the seed (train.data_seed)
        n_params = s["params"]["total"]
        every = Path(evalall_dir) / s["run_name"] / "summary.json"
        out.append({
            "run": s["run_name"],
            "N": n_params,
            "budget": float(s["tags"]["budget"]),
            "D": s["tokens"],
            "tokens_per_param": s["tokens"] / n_params,
            "seed": seed,
            "data_seed": data_seed,
            "steps": s["steps"],
            "batch_tokens": train["batch_size"] * s["config"]["model"]["block_size"],
            "lr": optim["lr"],
            "min_lr": optim["min_lr"],
            "cooldown": sched["decay_fraction"],
            "loss": s["final_val_loss"],
            "loss_all": json.loads(every.read_text())["final_val_loss"] if every.exists() else None,
            "commit": s["git_commit"],
        })
    if not out:
        raise SystemExit(f"collect.py: no finished branch runs under {runs_dir}")
    return out


def spread(xs):
    n, sd = len(xs), st.stdev(xs)
    return {"n": n, "mean": st.mean(xs), "sd": sd, "sd_ci95": sd_interval(sd, n),
            "sd_robust": robust_sd(xs), "min": min(xs), "max": max(xs)}


def cell_stats(runs):
    cells = defaultdict(list)
    for r in runs:
        cells[(r["N"], r["budget"])].append(r)
    out = []
    for (n_params, budget), rs in sorted(cells.items()):
        entry = {"N": n_params, "budget": budget,
                 "tokens_per_param": st.mean(r["tokens_per_param"] for r in rs),
                 "loss": spread([r["loss"] for r in rs])}
        if all(r["loss_all"] is not None for r in rs):
            entry["loss_all"] = spread([r["loss_all"] for r in rs])
            entry["loss_minus_all"] = spread([r["loss"] - r["loss_all"] for r in rs])
        out.append(entry)
    return out


def trunk_correlations(runs, key):
    """Per size: Pearson r between the two budgets' branch losses of the same trunk."""
    by_size = defaultdict(lambda: defaultdict(dict))
    for r in runs:
        by_size[r["N"]][(r["seed"], r["data_seed"])][r["budget"]] = r[key]
    out = []
    for n_params, trunks in sorted(by_size.items()):
        budgets = sorted({b for t in trunks.values() for b in t})
        if len(budgets) != 2:
            continue
        pairs = [(t[budgets[0]], t[budgets[1]]) for t in trunks.values() if len(t) == 2]
        if len(pairs) < 3:
            continue
        r = st.correlation(*zip(*pairs))
        out.append({"N": n_params, "budgets": budgets, "n_trunks": len(pairs), "r": r,
                    "r_ci95": correlation_interval(r, len(pairs))})
    return out


def tail(runs, key):
    """Each run's loss standardised within its cell, pooled: the sample kurtosis m4 / m2^2, whose
    mean over normal samples of n is 3 (n - 1) / (n + 1) (Joanes and Gill 1998), and the largest
    |z|, which bad trunks set (at most (n - 1) / sqrt(n))."""
    cells = defaultdict(list)
    for r in runs:
        cells[(r["N"], r["budget"])].append(r[key])
    z = [(x - st.mean(xs)) / st.stdev(xs) for xs in cells.values() for x in xs]
    n = min(len(xs) for xs in cells.values())
    return {"kurtosis": st.mean(v ** 4 for v in z) / st.mean(v ** 2 for v in z) ** 2,
            "kurtosis_if_normal": 3 * (n - 1) / (n + 1), "max_abs_z": max(abs(v) for v in z),
            "seeds_per_cell": n}


def trend(runs, key, resamples=2000, seed=0):
    """ln sd = a + b ln(tokens per parameter) over the cells (least squares); b's 95% interval
    from resampling whole seeds. b = 0: no trend the cells resolve."""
    cells = defaultdict(dict)
    tpp = {}
    for r in runs:
        cells[(r["N"], r["budget"])][(r["seed"], r["data_seed"])] = r[key]
        tpp[(r["N"], r["budget"])] = r["tokens_per_param"]
    trunks = sorted({t for c in cells.values() for t in c})

    def fit(draw):
        x = [math.log(tpp[k]) for k in cells]
        y = [math.log(st.stdev([cells[k][t] for t in draw if t in cells[k]])) for k in cells]
        slope, intercept = st.linear_regression(x, y)
        return slope, intercept

    rng = random.Random(seed)
    slopes = sorted(fit([rng.choice(trunks) for _ in trunks])[0] for _ in range(resamples))
    b, a = fit(trunks)
    return {"form": "sd = exp(a) * (D/N)^b", "a": a, "b": b,
            "b_ci95": [slopes[int(0.025 * resamples)], slopes[int(0.975 * resamples)]]}


def pooled_correlation(correlations):
    """Fisher-z mean over sizes, each weighted by n - 3 (its z's inverse variance)."""
    usable = [c for c in correlations if c["n_trunks"] > 3 and abs(c["r"]) < 1]
    if not usable:
        return None
    weight = sum(c["n_trunks"] - 3 for c in usable)
    z = sum((c["n_trunks"] - 3) * math.atanh(c["r"]) for c in usable) / weight
    h = Z975 / math.sqrt(weight)
    return {"r": math.tanh(z), "r_ci95": [math.tanh(z - h), math.tanh(z + h)], "sizes": len(usable)}


def pooled(runs, key, resamples=2000, seed=0):
    """Root mean of the cells' seed variances; 95% interval resampling whole trunks."""
    cells = defaultdict(dict)
    for r in runs:
        cells[(r["N"], r["budget"])][(r["seed"], r["data_seed"])] = r[key]
    trunks = sorted({t for c in cells.values() for t in c})

    def value(draw):
        variances = []
        for c in cells.values():
            xs = [c[t] for t in draw if t in c]
            if len(xs) >= 2:
                variances.append(st.variance(xs))
        return math.sqrt(st.mean(variances))

    rng = random.Random(seed)
    boot = sorted(value([rng.choice(trunks) for _ in trunks]) for _ in range(resamples))
    # Conservative chi-square: a trunk's branches counted as one draw, (seeds - 1) per size.
    sizes = {n for n, _ in cells}
    df = len(sizes) * (len(trunks) - 1)
    return {"sd": value(trunks), "ci95": [boot[int(0.025 * resamples)], boot[int(0.975 * resamples)]],
            "cells": len(cells), "interval": f"percentile, {resamples} resamples of whole seeds",
            "ci95_chi2": sd_interval(value(trunks), df + 1), "chi2_df": df}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pilot", required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--evalall", required=True)
    ap.add_argument("--sweep", required=True, help="the sweep file and its --set flags")
    ap.add_argument("--command", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    runs = read_runs(a.runs, a.evalall)
    have_all = all(r["loss_all"] is not None for r in runs)
    result = {
        "bench": f"noise_{a.pilot}",
        "stamp": Path(a.out).stem.rsplit("_", 1)[-1],
        "commit": sorted({r["commit"] for r in runs}),
        "command": a.command,
        "sweep": a.sweep,
        "runs_dir": a.runs,
        "machine": "2 CPU cores shared with other builds; 2 training processes, 1 thread each",
        "loss": "final validation loss (nats/byte) on the demo's 256 fixed windows of 128 bytes; "
                "loss_all: the same weights on all 1683 windows of the val split",
        "cells": cell_stats(runs),
        "trunk_correlation": trunk_correlations(runs, "loss"),
        "trunk_correlation_pooled": None,
        "pooled_sd": pooled(runs, "loss"),
        "tail": tail(runs, "loss"),
        "trend": trend(runs, "loss"),
        "runs": runs,
    }
    result["trunk_correlation_pooled"] = pooled_correlation(result["trunk_correlation"])
    if have_all:
        result["pooled_sd_all"] = pooled(runs, "loss_all")
    Path(a.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"{a.pilot}: {len(runs)} branch runs -> {a.out}")
    print(f"{'N':>7} {'budget':>8} {'D/N':>6} {'n':>3} {'mean':>7} {'sd':>7} {'sd 95%':>15}"
          f" {'robust':>7} {'sd_all':>7}")
    for c in result["cells"]:
        l = c["loss"]
        sd_all = f"{c['loss_all']['sd']:7.4f}" if "loss_all" in c else "      -"
        print(f"{c['N']:>7} {c['budget']:>8.2g} {c['tokens_per_param']:>6.0f} {l['n']:>3} {l['mean']:>7.4f}"
              f" {l['sd']:>7.4f} [{l['sd_ci95'][0]:.4f}, {l['sd_ci95'][1]:.4f}] {l['sd_robust']:>7.4f} {sd_all}")
    p = result["pooled_sd"]
    t = result["trend"]
    print(f"trend: sd = {math.exp(t['a']):.3f} (D/N)^{t['b']:.2f} (b: [{t['b_ci95'][0]:.2f}, {t['b_ci95'][1]:.2f}])")
    t = result["tail"]
    print(f"kurtosis of the within-cell z {t['kurtosis']:.2f} (normal samples of {t['seeds_per_cell']}: "
          f"{t['kurtosis_if_normal']:.2f}), largest |z| {t['max_abs_z']:.2f}")
    print(f"pooled sd {p['sd']:.4f} [{p['ci95'][0]:.4f}, {p['ci95'][1]:.4f}] (chi-square, {p['chi2_df']} df:"
          f" [{p['ci95_chi2'][0]:.4f}, {p['ci95_chi2'][1]:.4f}])", end="")
    if have_all:
        q = result["pooled_sd_all"]
        print(f"; on all windows {q['sd']:.4f} [{q['ci95'][0]:.4f}, {q['ci95'][1]:.4f}]", end="")
    print()
    for t in result["trunk_correlation"]:
        ci = t["r_ci95"]
        print(f"trunk correlation N={t['N']}: r = {t['r']:.2f}" + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else ""))
    if result["trunk_correlation_pooled"]:
        t = result["trunk_correlation_pooled"]
        print(f"trunk correlation pooled over {t['sizes']} sizes: r = {t['r']:.2f} [{t['r_ci95'][0]:.2f}, {t['r_ci95'][1]:.2f}]")


if __name__ == "__main__":
    main()
