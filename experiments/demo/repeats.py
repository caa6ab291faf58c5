#!/usr/bin/env python3
"""Compares the demo study's repeats (experiments/demo/repeats.sh) and records them.

For each base seed: the headline law's exponent a (N_opt ~ C^a) with its 95% interval from the
study's own fits.json, and approach 2's beside it. Then (issue 25, Must show): whether the first
three estimates each lie inside the other two's intervals, and the observed spread of a over the
repeats against the dry run's predicted spread (the power analysis printed in dry_run.txt), with a
chi-square 95% interval on the observed sd. Writes bench/results/demo_repeats_<UTC>.json and prints
a summary. Standard library only.
  python3 experiments/demo/repeats.py ROOT BASE_SEED...
"""
import datetime
import json
import math
import os
import re
import statistics
import subprocess
import sys

LAWS = {"chinchilla": "chinchilla_approach3", "approach2": "chinchilla_approach2"}
# 2.5% and 97.5% points of chi-square with 1..9 degrees of freedom (for the sd's interval).
CHI2 = {1: (0.000982, 5.024), 2: (0.0506, 7.378), 3: (0.216, 9.348), 4: (0.484, 11.143),
        5: (0.831, 12.833), 6: (1.237, 14.449), 7: (1.690, 16.013), 8: (2.180, 17.535),
        9: (2.700, 19.023)}


def exponent(law):
    """a and its interval from one law's entry, or None when it is missing or not identified."""
    if law is None:
        return None
    p = law["params"]
    a = p.get("a")
    if a is None and "alpha" in p and "beta" in p:
        al, be = p["alpha"]["value"], p["beta"]["value"]
        a = {"value": be / (al + be)}
    if a is None:
        return None
    return {"a": a["value"], "ci95": a.get("ci95"), "identified": law.get("identified", True),
            "not_identified": law.get("not_identified", [])}


def predicted(dry_run_text):
    """The dry run's predicted mean and sd of a for each approach."""
    out = {}
    for name, key in (("approach 2", "approach2"), ("approach 3", "chinchilla")):
        m = re.search(name + r": a = ([0-9.]+) \+- ([0-9.]+)", dry_run_text)
        if m:
            out[key] = {"mean": float(m.group(1)), "sd": float(m.group(2))}
    return out


def inside_each_other(rows):
    """Each estimate inside every other's 95% interval."""
    ok = True
    for r in rows:
        for s in rows:
            if r is s:
                continue
            lo, hi = s["ci95"]
            ok &= lo <= r["a"] <= hi
    return ok


def main():
    root, seeds = sys.argv[1], sys.argv[2:]
    study = open("experiments/demo/study.yaml").read()
    headline = re.search(r"headline:\s*\n\s*law:\s*(\w+)", study).group(1)
    dry = open(os.path.join(root, "dry_run.txt")).read()
    pred = predicted(dry)
    repeats = []
    for seed in seeds:
        path = os.path.join(root, f"seed{seed}", "fits.json")
        row = {"base_seed": int(seed), "fits": path}
        if os.path.exists(path):
            laws = json.load(open(path))["laws"]
            for key, name in LAWS.items():
                row[key] = exponent(laws.get(name))
            state = os.path.join(root, f"seed{seed}", "study_state.json")
            if os.path.exists(state):
                row["study_state"] = json.load(open(state))
        repeats.append(row)
    summary = {}
    for key in LAWS:
        rows = [r[key] for r in repeats if r.get(key) and r[key]["identified"] and r[key]["ci95"]]
        values = [r["a"] for r in rows]
        s = {"n": len(values), "values": values}
        if len(values) >= 2:
            sd = statistics.stdev(values)
            dof = len(values) - 1
            lo, hi = CHI2.get(dof, (None, None))
            s.update({"mean": statistics.mean(values), "sd": sd})
            if lo:
                s["sd_ci95"] = [sd * math.sqrt(dof / hi), sd * math.sqrt(dof / lo)]
            if key in pred:
                s["predicted_sd"] = pred[key]["sd"]
                s["observed_over_predicted"] = sd / pred[key]["sd"]
                s["within_1_5x"] = 1 / 1.5 <= sd / pred[key]["sd"] <= 1.5
        if len(rows) >= 3:
            s["first_three_inside_each_other"] = inside_each_other(rows[:3])
        summary[key] = s
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    record = {"what": "the demo study repeated under several base seeds", "commit": commit,
              "command": "bash experiments/demo/repeats.sh BIN JOBS " + " ".join(seeds),
              "study": "experiments/demo/study.yaml", "headline": headline,
              "predicted": pred, "repeats": repeats, "summary": summary}
    os.makedirs("bench/results", exist_ok=True)
    out = f"bench/results/demo_repeats_{stamp}.json"
    json.dump(record, open(out, "w"), indent=1)
    for r in repeats:
        line = f"base seed {r['base_seed']}:"
        for key in LAWS:
            e = r.get(key)
            if not e:
                line += f"  {key}: no fit"
            elif not e["identified"] or not e["ci95"]:
                line += f"  {key}: a = {e['a']:.3f} (not identified: {'; '.join(e['not_identified'])})"
            else:
                line += f"  {key}: a = {e['a']:.3f} [{e['ci95'][0]:.3f}, {e['ci95'][1]:.3f}]"
        print(line)
    for key, s in summary.items():
        if "sd" in s:
            extra = ""
            if "predicted_sd" in s:
                extra = (f"; the dry run predicted {s['predicted_sd']:.3f} (ratio "
                         f"{s['observed_over_predicted']:.2f})")
            ci = s.get("sd_ci95")
            print(f"{key}: a over {s['n']} repeats: mean {s['mean']:.3f}, sd {s['sd']:.3f}"
                  + (f" (95% {ci[0]:.3f}-{ci[1]:.3f})" if ci else "") + extra
                  + (f"; first three inside each other's intervals: "
                     f"{s['first_three_inside_each_other']}" if "first_three_inside_each_other" in s else ""))
    print(out)


if __name__ == "__main__":
    main()
