#!/usr/bin/env python3
"""Noise pilots against a reference pilot: the tables of experiments/demo/NOISE.md.

    python3 experiments/demo/pilots/compare.py REF.json PILOT.json... [--key loss|loss_all]

Each file is one bench/results/noise_<pilot>_<UTC>.json (collect.py). For each pilot: its pooled
seed standard deviation (root mean of the cells' variances), its ratio to the reference's, and the
mean change of the loss over the cells, each with a 95% percentile interval from resampling whole
seeds (a trunk and its branches together); pilots trained under the reference's seeds are resampled
with the same draw (paired), others independently. Then each cell's standard deviation per pilot.
Standard library only.
"""
import argparse
import json
import math
import random
import statistics as st
from collections import defaultdict

RESAMPLES = 2000


def table(result, key):
    """{cell: {trunk: loss}}, cell = (N, budget), trunk = (seed, data_seed)."""
    cells = defaultdict(dict)
    for r in result["runs"]:
        cells[(r["N"], r["budget"])][(r["seed"], r["data_seed"])] = r[key]
    return cells


def pooled_sd(cells, draw):
    variances = []
    for c in cells.values():
        xs = [c[t] for t in draw if t in c]
        if len(xs) >= 2:
            variances.append(st.variance(xs))
    return math.sqrt(st.mean(variances))


def mean_loss(cells, draw):
    return st.mean(st.mean(c[t] for t in draw if t in c) for c in cells.values())


def interval(values):
    values = sorted(values)
    return values[int(0.025 * len(values))], values[int(0.975 * len(values))]


def compare(ref, other, rng):
    """Pooled sd, sd ratio and mean change of `other` against `ref`, with bootstrap intervals."""
    ref_trunks = sorted({t for c in ref.values() for t in c})
    trunks = sorted({t for c in other.values() for t in c})
    paired = trunks == ref_trunks and set(ref) == set(other)
    sd, ratio, shift = [], [], []
    for _ in range(RESAMPLES):
        draw_ref = [rng.choice(ref_trunks) for _ in ref_trunks]
        draw = draw_ref if paired else [rng.choice(trunks) for _ in trunks]
        s = pooled_sd(other, draw)
        sd.append(s)
        ratio.append(s / pooled_sd(ref, draw_ref))
        shift.append(mean_loss(other, draw) - mean_loss(ref, draw_ref))
    point_sd = pooled_sd(other, trunks)
    return {
        "paired": paired,
        "sd": point_sd, "sd_ci95": interval(sd),
        "ratio": point_sd / pooled_sd(ref, ref_trunks), "ratio_ci95": interval(ratio),
        "shift": mean_loss(other, trunks) - mean_loss(ref, ref_trunks), "shift_ci95": interval(shift),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("reference")
    ap.add_argument("pilots", nargs="+")
    ap.add_argument("--key", default="loss", choices=["loss", "loss_all"])
    a = ap.parse_args()
    rng = random.Random(0)
    results = [json.load(open(f)) for f in [a.reference] + a.pilots]
    ref = table(results[0], a.key)
    print(f"reference: {results[0]['bench']} ({a.key}); 95% intervals: {RESAMPLES} resamples of seeds\n")
    print("| pilot | pooled sd | sd / reference | mean loss change | same seeds |")
    print("|---|---|---|---|---|")
    for res in results:
        c = compare(ref, table(res, a.key), rng)
        print(f"| {res['bench']} | {c['sd']:.4f} ({c['sd_ci95'][0]:.4f}-{c['sd_ci95'][1]:.4f}) "
              f"| {c['ratio']:.2f} ({c['ratio_ci95'][0]:.2f}-{c['ratio_ci95'][1]:.2f}) "
              f"| {c['shift']:+.4f} ({c['shift_ci95'][0]:+.4f} to {c['shift_ci95'][1]:+.4f}) "
              f"| {'yes' if c['paired'] else 'no'} |")
    cells = sorted(ref)
    tpp = {(c["N"], c["budget"]): c["tokens_per_param"] for c in results[0]["cells"]}
    print("\nsd per cell (mean loss below):\n")
    print("| pilot | " + " | ".join(f"{n} @ {b:.2g} ({tpp[(n, b)]:.0f}/N)" for n, b in cells) + " |")
    print("|---|" + "---|" * len(cells))
    for res in results:
        t = table(res, a.key)
        sds = [f"{st.stdev(t[c].values()):.4f}" if c in t else "-" for c in cells]
        means = [f"{st.mean(t[c].values()):.3f}" if c in t else "-" for c in cells]
        print(f"| {res['bench']} | " + " | ".join(f"{s}<br>{m}" for s, m in zip(sds, means)) + " |")


if __name__ == "__main__":
    main()
