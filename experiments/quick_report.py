#!/usr/bin/env python3
"""Reads a study's run folders (and its fits.json), prints the study's table and writes raw JSON.

    python3 experiments/quick_report.py STUDY RUN_ROOT [--fits FITS.json] [--out OUT.json] ...

chinchilla: per budget, loss by N and the argmin; approach 2's exponents.
kaplan: loss by (N, D); the overfitting rule implied by the fitted L(N, D) (Kaplan et al. 2020,
  eq. 1.5: L(N,D)/L(N,inf) = [1 + (N/Nc)^(aN/aD) Dc/D]^aD, so a penalty <= 2% needs
  D >= Dc (N/Nc)^(aN/aD) / (1.02^(1/aD) - 1); the paper's constants give 5e3 N^0.74), and each run's
  observed penalty against L(N, inf) = (Nc/N)^aN next to whether it meets 5e3 N^0.74.
deepnarrow: pretraining and fine-tuned loss by (parameter budget, depth).
transfer: fine-tuned vs scratch loss by (N, D_F); the fitted D_T = k D_F^alpha N^beta against
  Hernandez et al. 2021 (text -> python: k 1.9e4, alpha 0.18, beta 0.38).
Only the standard library: it runs anywhere the sweep ran.
"""
import argparse
import json
import os
import platform
import sys


def runs_of(root):
    out = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name, "summary.json")
        if os.path.isfile(path):
            with open(path) as f:
                s = json.load(f)
            out.append({"name": name, "N": s["params"]["total"], "N_non_embedding": s["params"]["non_embedding"],
                        "D": s["tokens"], "loss": s.get("final_val_loss"), "status": s.get("status"),
                        "wall_time_s": s.get("wall_time_s"), "tags": s.get("tags", {}),
                        "torch_version": s.get("torch_version"), "device": s.get("device"),
                        "model": {k: s["config"]["model"][k] for k in ("n_layer", "n_embd", "n_head")}})
    return out


def law(fits, name):
    if not fits:
        return None
    entry = fits.get("laws", {}).get(name)
    return {k: v["value"] for k, v in entry["params"].items()} if entry else None


def chinchilla(runs, fits, lines):
    budgets = sorted({r["tags"].get("budget") for r in runs if r["tags"].get("budget") is not None})
    for c in budgets:
        rs = sorted((r for r in runs if r["tags"].get("budget") == c), key=lambda r: r["N"])
        best = min(rs, key=lambda r: r["loss"])
        where = "interior" if best is not rs[0] and best is not rs[-1] else "at the ladder's end"
        lines.append(f"C = {c:.3g}: " + ", ".join(f"N {r['N']:.3g} D {r['D']:.3g} -> {r['loss']:.4f}" for r in rs)
                     + f"; lowest at N {best['N']:.3g} ({where})")
    a2 = law(fits, "chinchilla_approach2")
    if a2:
        lines.append(f"approach 2: N_opt ~ C^{a2['a']:.3f}, D_opt ~ C^{a2['b']:.3f} (Chinchilla: 0.49, 0.51)")
    return {"approach2": a2}


def kaplan(runs, fits, lines):
    nd = law(fits, "kaplan_nd")
    entry = (fits or {}).get("laws", {}).get("kaplan_nd") or {}
    identified = entry.get("identified") is not False
    for r in sorted(runs, key=lambda r: (r["N"], r["D"])):
        rule = 5e3 * r["N_non_embedding"] ** 0.74
        text = f"N {r['N']:.3g} (non-emb {r['N_non_embedding']:.3g}) D {r['D']:.3g}: loss {r['loss']:.4f}; " \
               f"5e3 N^0.74 = {rule:.3g} ({'met' if r['D'] >= rule else 'not met'})"
        if nd and identified:
            # The fit's N is summary.json's total count (scalelab fit's default --params).
            r["penalty"] = r["loss"] / (nd["Nc"] / r["N"]) ** nd["alpha_N"] - 1
            text += f"; loss / L(N, inf) - 1 = {100 * r['penalty']:.1f}%"
        lines.append(text)
    out = {"kaplan_nd": nd}
    if nd and not identified:
        # A law that is not identified gives no advice (issue 25): no rule from it.
        why = "; ".join(entry.get("not_identified", [])) or "see fits.json"
        lines.append(f"no fitted rule: kaplan_nd is not identified ({why})")
        out["rule"] = None
    elif nd:
        ratio = nd["alpha_N"] / nd["alpha_D"]
        pre = nd["Dc"] * nd["Nc"] ** -ratio / (1.02 ** (1 / nd["alpha_D"]) - 1)
        lines.append(f"fitted rule for a <= 2% penalty: D >= {pre:.3g} N^{ratio:.2f} with total N "
                     f"(Kaplan: 5e3 N^0.74 with non-embedding N)")
        out["rule"] = {"prefactor": pre, "exponent": ratio}
    return out


def deepnarrow(runs, fits, lines):
    keys = sorted({(r["tags"].get("target_params"), r["model"]["n_layer"]) for r in runs})
    table = []
    for p, depth in keys:
        row = {"target_params": p, "n_layer": depth}
        for r in runs:
            if r["tags"].get("target_params") == p and r["model"]["n_layer"] == depth:
                row[r["tags"].get("role")] = r["loss"]
                row["N"] = r["N"]
                row["n_embd"] = r["model"]["n_embd"]
        table.append(row)
        lines.append(f"params {p:.3g} depth {depth} width {row.get('n_embd')}: pretrain {row.get('pretrain', float('nan')):.4f}, "
                     f"fine-tuned {row.get('finetune', float('nan')):.4f}")
    return {"table": table}


def transfer(runs, fits, lines):
    for r in sorted((r for r in runs if r["tags"].get("role") == "finetune"), key=lambda r: (r["N"], r["D"])):
        scratch = [s for s in runs if s["tags"].get("role") == "scratch" and s["N"] == r["N"] and abs(s["D"] - r["D"]) < 0.01 * r["D"]]
        lines.append(f"N {r['N']:.3g} D_F {r['D']:.3g}: fine-tuned {r['loss']:.4f}"
                     + (f", scratch {scratch[0]['loss']:.4f}" if scratch else ""))
    t = law(fits, "transfer")
    if t:
        lines.append(f"D_T = {t['k']:.3g} D_F^{t['alpha']:.3f} N^{t['beta']:.3f} (Hernandez et al. text->python: 1.9e4, 0.18, 0.38)")
    return {"transfer": t}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("study", choices=["chinchilla", "kaplan", "deepnarrow", "transfer"])
    p.add_argument("root")
    p.add_argument("--fits", default="")
    p.add_argument("--out", default="")
    p.add_argument("--sweep", default="")
    p.add_argument("--jobs", type=int, default=0)
    p.add_argument("--wall-s", type=float, default=0)
    p.add_argument("--commit", default="")
    p.add_argument("--load-before", default="")
    p.add_argument("--load-after", default="")
    p.add_argument("--sweep-status", type=int, default=0)
    a = p.parse_args()
    runs = runs_of(a.root)
    fits = json.load(open(a.fits)) if a.fits and os.path.isfile(a.fits) else None
    lines = []
    result = {"chinchilla": chinchilla, "kaplan": kaplan, "deepnarrow": deepnarrow, "transfer": transfer}[a.study](runs, fits, lines)
    if a.wall_s:
        lines.append(f"{len(runs)} runs in {a.wall_s / 60:.1f} min with --jobs {a.jobs} (load average before: {a.load_before})")
    print("\n".join(lines))
    if a.out:
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
        record = {"benchmark": "sweep_quick", "study": a.study, "commit": a.commit, "sweep_file": a.sweep,
                  "sweep_yaml": open(a.sweep).read() if a.sweep else "", "jobs": a.jobs, "wall_s": a.wall_s,
                  "sweep_exit_status": a.sweep_status,
                  "machine": {"cpu": cpu, "n_cores": os.cpu_count(), "os": platform.platform(),
                              "loadavg_1_5_15_before": a.load_before, "loadavg_1_5_15_after": a.load_after},
                  "torch_version": runs[0]["torch_version"] if runs else None, "run_root": a.root,
                  "runs": runs, "result": result, "summary": lines}
        with open(a.out, "w") as f:
            json.dump(record, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
