#!/usr/bin/env python3
"""Prints the demo's three headline findings from the sweep's run folders and fits.json.

    python3 experiments/demo/headlines.py RUNS FITS.json [--elapsed SECONDS] [--report DIR]

Standard library only. Every number printed is read from fits.json or the runs' summary.json.
"""
import argparse
import json
import os


def fmt_ci(p):
    lo, hi = p["ci95"]
    return f"{p['value']:.2f} (95% interval {lo:.2f} to {hi:.2f})"


def agreement(laws):
    """Whether approaches 1, 2 and 3 agree on a: their 95% intervals share a value."""
    found = {name: laws[law]["params"]["a"] for name, law in
             (("1", "chinchilla_approach1"), ("2", "chinchilla_approach2"),
              ("3", "chinchilla_approach3")) if law in laws and "a" in laws[law]["params"]}
    if len(found) < 2:
        return "Approaches 1, 2, 3: fewer than two fitted; no comparison."
    text = "; ".join(f"approach {k}: a = {fmt_ci(p) if p.get('ci95') else format(p['value'], '.2f')}"
                     for k, p in found.items())
    with_ci = [p["ci95"] for p in found.values() if p.get("ci95")]
    if len(with_ci) < 2:
        return text + " (no intervals to compare)."
    overlap = max(lo for lo, _ in with_ci) <= min(hi for _, hi in with_ci)
    return text + (". Their intervals overlap: they agree." if overlap
                   else ". Their intervals do not all overlap: they disagree.")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs")
    ap.add_argument("fits")
    ap.add_argument("--elapsed", type=float)
    ap.add_argument("--report")
    args = ap.parse_args()
    laws = json.load(open(args.fits))["laws"]
    n_runs = sum(os.path.isfile(os.path.join(args.runs, d, "summary.json")) for d in os.listdir(args.runs))

    print()
    if args.report:
        print(f"Report: {os.path.join(args.report, 'report.html')} (and report.md, figures/)")
    if args.elapsed is not None:
        print(f"{n_runs} finished runs; this invocation took {args.elapsed / 60:.1f} minutes "
              "(a rerun skips finished runs and resumes interrupted ones).")
    print("Headline findings:")

    a2 = laws.get("chinchilla_approach2")
    if a2:
        budgets = a2["data"]["budgets"]
        used = [b for b in budgets if b["used"]]
        print(f"1. IsoFLOP profiles: {len(used)} of {len(budgets)} budgets have an interior minimum; "
              f"N_opt ~ C^a with a = {fmt_ci(a2['params']['a'])} "
              f"(Chinchilla 0.50, Kaplan 0.73).")
        for b in used:
            print(f"   C = {b['budget']:.2g} FLOPs: best N = {b['N_opt']:.3g} parameters, loss {b['loss_opt']:.3f}")
        refused = [b for b in budgets if not b["used"]]
        for b in refused:
            print(f"   C = {b['budget']:.2g} FLOPs: refused (no interior minimum)")
    else:
        print("1. IsoFLOP profiles: approach 2 could not be fitted (see the report's notes).")
    print("   " + agreement(laws))

    kc = laws.get("kaplan_c")
    if kc:
        print(f"2. Loss falls with compute along the frontier: L(C) = (Cc / C)^alpha_C with "
              f"alpha_C = {fmt_ci(kc['params']['alpha_C'])} (Kaplan: 0.050 at far larger scale).")
    a3 = laws.get("chinchilla_approach3")
    if a3:
        p = a3["params"]
        wide = [n for n in a3.get("notes", []) if "do not pin it down" in n]
        verdict = ("the data do not pin its exponents down at this scale" if wide
                   else "its exponents are well determined")
        print(f"3. L(N, D) = E + A/N^alpha + B/D^beta (approach 3): alpha = {fmt_ci(p['alpha'])}, "
              f"beta = {fmt_ci(p['beta'])}; {verdict}.")
    notes = a2.get("notes", []) if a2 else []
    for n in notes:
        print(f"   note: {n}")


if __name__ == "__main__":
    main()
