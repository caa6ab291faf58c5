#!/usr/bin/env python3
"""The Porian study's table: a (N_opt ~ C^a, approach 2) per step with its 95% interval, beside
Porian et al. 2024's published exponents (RefinedWeb, Fig. 1).  usage: table.py REPORT_DIR SECONDS"""
import json
import os
import sys

PUBLISHED = {"1_kaplan": 0.835, "2_flops": 0.706, "3_warmup": 0.602, "4_cosine": 0.571,
             "5_tuned": 0.497}
LABEL = {"1_kaplan": "Kaplan-style (non-embedding N, 6ND, long fixed warmup, constant lr)",
         "2_flops": "+ last layer counted (all N, Chinchilla App. F FLOPs)",
         "3_warmup": "+ warmup tokens = N", "4_cosine": "+ cosine to each run's budget",
         "5_tuned": "+ lr tuned per size"}


def main():
    out, seconds = sys.argv[1], float(sys.argv[2])
    print("| step | setup | a (95% interval) | Porian et al. | budgets with an interior minimum |")
    print("|---|---|---|---|---|")
    for step, published in PUBLISHED.items():
        path = os.path.join(out, step, "fits.json")
        fit = json.load(open(path))["laws"].get("chinchilla_approach2") if os.path.exists(path) else None
        if not fit:
            with open(os.path.join(out, step, "fit.txt")) as f:
                why = f.read().strip().splitlines()[-1].replace("scalelab: error: ", "")
            print(f"| {step} | {LABEL[step]} | not fitted: {why} | {published} | - |")
            continue
        a = fit["params"]["a"]
        ci = a.get("ci95")
        interval = f"{a['value']:.2f} ({ci[0]:.2f}-{ci[1]:.2f})" if ci else f"{a['value']:.2f}"
        budgets = fit["data"]["budgets"]
        used = sum(1 for b in budgets if b["used"])
        print(f"| {step} | {LABEL[step]} | {interval} | {published} | {used} of {len(budgets)} |")
    print(f"\nTime: {seconds / 60:.1f} min (tune + 5 sweeps + fits).")


if __name__ == "__main__":
    main()
