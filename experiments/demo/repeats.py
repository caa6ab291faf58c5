#!/usr/bin/env python3
"""Compares the demo study's repeats (experiments/demo/repeats.sh) and records them.

For each base seed: the headline law's exponent a (N_opt ~ C^a) with its 95% interval from the
study's own fits.json, and approach 2's beside it. Then (issue 25, Must show): whether the first
three estimates each lie inside the other two's intervals, and the observed spread of a over the
repeats against the dry run's predicted spread (the power analysis printed in dry_run.txt), with a
chi-square 95% interval on the observed sd. Writes bench/results/demo_repeats_<UTC>.json and prints
a summary. Standard library only.
  python3 experiments/demo/repeats.py ROOT [--power-check TXT] BASE_SEED...
With --power-check (bench/demo_power_check.sh): the spread predicted from each repeat's own fitted
law and noise model (TXT: the dry runs' power lines) is compared as well, by its median.
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
def chi2_cdf(x, k):
    """P(chi-square with k dof <= x): the regularized lower incomplete gamma P(k/2, x/2), series."""
    a, y = k / 2.0, x / 2.0
    if y <= 0:
        return 0.0
    term = total = 1.0 / a
    n = 0
    while term > 1e-15 * total and n < 10000:
        n += 1
        term *= y / (a + n)
        total += term
    return min(1.0, total * math.exp(a * math.log(y) - y - math.lgamma(a)))


def chi2_quantile(p, k):
    """The p point of chi-square with k dof, by bisection."""
    lo, hi = 0.0, max(10.0, 10.0 * k)
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if chi2_cdf(mid, k) < p else (lo, mid)
    return (lo + hi) / 2


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


def predicted_from_repeats(text):
    """Each power analysis' predicted sd of a in TXT, per approach."""
    out = {}
    for name, key in (("approach 2", "approach2"), ("approach 3", "chinchilla")):
        out[key] = [float(m) for m in re.findall(name + r": a = [0-9.]+ \+- ([0-9.]+)", text)]
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
    power_check = None
    if seeds[:1] == ["--power-check"]:
        power_check, seeds = seeds[1], seeds[2:]
    own = predicted_from_repeats(open(power_check).read()) if power_check else {}
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
            lo, hi = chi2_quantile(0.025, dof), chi2_quantile(0.975, dof)
            s.update({"mean": statistics.mean(values), "sd": sd})
            s["sd_ci95"] = [sd * math.sqrt(dof / hi), sd * math.sqrt(dof / lo)]
            if key in pred:
                s["predicted_sd"] = pred[key]["sd"]
                s["observed_over_predicted"] = sd / pred[key]["sd"]
                s["within_1_5x"] = 1 / 1.5 <= sd / pred[key]["sd"] <= 1.5
            if own.get(key):
                median = statistics.median(own[key])
                s["own_law"] = {
                    "what": "the dry run simulating the study from each repeat's own fitted law "
                            "and noise model (bench/demo_power_check.sh)",
                    "predicted_sds": own[key], "median": median,
                    "observed_over_median": sd / median,
                    "within_1_5x": 1 / 1.5 <= sd / median <= 1.5,
                    "median_inside_observed_sd_ci95": s["sd_ci95"][0] <= median <= s["sd_ci95"][1]}
        if len(rows) >= 3:
            s["first_three_inside_each_other"] = inside_each_other(rows[:3])
        summary[key] = s
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    record = {"what": "the demo study repeated under several base seeds", "commit": commit,
              "command": ("bash bench/demo_power_check.sh BIN " + root if power_check else
                          "bash experiments/demo/repeats.sh BIN JOBS " + " ".join(seeds)),
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
            if "own_law" in s:
                o = s["own_law"]
                extra += (f"; from each repeat's own law: median {o['median']:.3f} (range "
                          f"{min(o['predicted_sds']):.3f}-{max(o['predicted_sds']):.3f}, ratio "
                          f"{o['observed_over_median']:.2f})")
            print(f"{key}: a over {s['n']} repeats: mean {s['mean']:.3f}, sd {s['sd']:.3f}"
                  + (f" (95% {ci[0]:.3f}-{ci[1]:.3f})" if ci else "") + extra
                  + (f"; first three inside each other's intervals: "
                     f"{s['first_three_inside_each_other']}" if "first_three_inside_each_other" in s else ""))
    print(out)


if __name__ == "__main__":
    main()
