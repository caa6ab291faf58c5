#!/usr/bin/env python3
"""Prints the demo study's headline from its own files, headline first.

    python3 experiments/demo/headlines.py STUDY_ROOT STUDY_FILE [--elapsed SECONDS]

STUDY_ROOT is `scalelab study`'s --out-root (fits.json, study_state.json, report/). Every number
printed is read from fits.json (the one the report reads) or study_state.json. Standard library.
"""
import argparse
import json
import os
import re

LAW_KEYS = {"chinchilla": "chinchilla_approach3", "approach2": "chinchilla_approach2",
            "approach1": "chinchilla_approach1"}
NAMES = {"chinchilla_approach3": "approach 3 (one law L(N, D) fitted to every run)",
         "chinchilla_approach2": "approach 2 (each budget's IsoFLOP minimum)",
         "chinchilla_approach1": "approach 1 (the training-curve envelope)"}


def exponent_text(law):
    """'a = 0.48 (95% interval 0.42 to 0.55)', or why there is no interval."""
    if law is None:
        return "not fitted"
    a = law["params"].get("a")
    if a is None:
        return "no exponent a in this law"
    if not law.get("identified", True):
        return f"not identified ({'; '.join(law.get('not_identified', []))}); no interval"
    if not a.get("ci95"):
        return f"a = {a['value']:.3f} (no interval)"
    lo, hi = a["ci95"]
    return f"a = {a['value']:.3f} (95% interval {lo:.3f} to {hi:.3f}, seeds included)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("study")
    ap.add_argument("--elapsed", type=float)
    args = ap.parse_args()
    laws = json.load(open(os.path.join(args.root, "fits.json")))["laws"]
    state_path = os.path.join(args.root, "study_state.json")
    state = json.load(open(state_path)) if os.path.exists(state_path) else {}
    m = re.search(r"headline:\s*\n\s*law:\s*(\w+)", open(args.study).read())
    headline = LAW_KEYS.get(m.group(1) if m else "chinchilla", "chinchilla_approach3")
    runs = sum(os.path.isfile(os.path.join(args.root, d, "summary.json"))
               for d in os.listdir(args.root))

    print()
    print(f"Report: {os.path.join(args.root, 'report', 'report.html')} (and report.md, figures/)")
    if args.elapsed is not None:
        print(f"{runs} finished runs; this invocation took {args.elapsed / 60:.1f} minutes "
              "(a rerun skips finished runs and resumes interrupted ones).")
    print("Headline: compute-optimal size N_opt ~ C^a on byte-level KJV:")
    print(f"  {NAMES[headline]}: {exponent_text(laws.get(headline))}")
    for key in ("chinchilla_approach2", "chinchilla_approach3"):
        if key != headline and key in laws:
            print(f"  beside it, {NAMES[key]}: {exponent_text(laws[key])}")
    print("  Published: Hoffmann et al. 2022 a = 0.50 (approaches 1, 2) and 0.46 (approach 3), "
          "Kaplan et al. 2020 0.73, both on web text at 1e18-1e23 FLOPs.")
    verdicts = state.get("budgets", [])
    if verdicts:
        ok = sum(v["bracketed"] for v in verdicts)
        added = len(state.get("added", []))
        print(f"  Budgets bracketed: {ok} of {len(verdicts)} ({added} size(s) added by bracketing).")
        for v in verdicts:
            if not v["bracketed"]:
                print(f"    C = {v['budget']:.3g}: not bracketed ({v['reason']})")
    a2 = laws.get("chinchilla_approach2")
    if a2:
        for b in a2["data"]["budgets"]:
            if b.get("used"):
                print(f"  C = {b['budget']:.3g} FLOPs: lowest mean loss {b['loss_opt']:.3f} at "
                      f"N = {b['N_opt']:.3g} (approach 2's parabola)")


if __name__ == "__main__":
    main()
