#!/usr/bin/env python3
"""Best lr per size across seeds of the transfer grids (issue 28 item 3), from the JSON records
that bench/transfer_mup.sh writes, one per seed.

The best lr of a size is the grid lr with the lowest final validation loss averaged over the seeds
(the seeds' mean, each seed weighted alike). How far it moves across sizes is the ratio of the
largest to the smallest best lr, in grid steps (a factor 2 each); "transfers" means at most one
step, the issue's criterion. How sure that reading is, from the seeds alone: the seeds are
resampled with replacement (BOOTSTRAP times, fixed random seed) and the share of resamples whose
seed-mean best lrs span at most one step is reported, with each size's best-lr frequencies.

Usage: bench/transfer_summary.py RECORD.json [RECORD.json ...] [--bootstrap 2000] [--json OUT]
Each record is one seed, or some of a seed's grids (a grid is summarised over the seeds that ran
it); a grid given twice for one seed, or records of different
training lengths (the "tokens" field: absent for the grid files' own 1e5), are refused.
"""
import argparse
import json
import math
import random
import sys


def load(paths):
    return merge_seeds([(path, json.load(open(path))) for path in paths])


def merge_seeds(records):
    """seed -> (path(s), record) from (path, record) pairs, one seed's records merged."""
    seeds = {}
    for path, record in records:
        seed = record.get("seed", 1)
        for other_path, other in seeds.values():
            if record.get("tokens") != other.get("tokens"):
                sys.exit(f"transfer_summary: {path} trained {record.get('tokens') or 'the grid files'}"
                         f" tokens, {other_path} {other.get('tokens') or 'the grid files'}")
        if seed not in seeds:
            seeds[seed] = (path, record)
            continue
        # One seed's grids may come in several records (GRIDS=...), each grid once.
        first_path, first = seeds[seed]
        for name, grid in record["grids"].items():
            if name in first["grids"]:
                sys.exit(f"transfer_summary: {path} repeats seed {seed} of {name} (also {first_path})")
            first["grids"][name] = grid
        seeds[seed] = (first_path + " + " + path, first)
    return seeds


def losses_by_grid(seeds):
    """grid -> (seeds, size -> lr -> [loss per seed]), over the lrs every seed that ran the grid
    finished."""
    grids = {}
    for seed, (path, record) in sorted(seeds.items()):
        for name, grid in record["grids"].items():
            axis = grid["axis"]
            for run in grid["runs"].values():
                if run.get("status") != "finished" or run.get("final_val_loss") is None:
                    continue
                cell = grids.setdefault(name, {}).setdefault(run[axis], {})
                cell.setdefault(run["lr"], {})[seed] = run["final_val_loss"]
    complete = {}
    for name, sizes in grids.items():
        n = sum(name in record["grids"] for _, record in seeds.values())  # the seeds that ran it
        complete[name] = (n, {
            size: {lr: [by_seed[s] for s in sorted(by_seed)] for lr, by_seed in lrs.items()
                   if len(by_seed) == n}
            for size, lrs in sizes.items()})
    return complete


def best_lrs(sizes, picks):
    """size -> the lr with the lowest mean over the seed indices in picks."""
    best = {}
    for size, lrs in sizes.items():
        best[size] = min(lrs, key=lambda lr: sum(lrs[lr][i] for i in picks) / len(picks))
    return best


def steps_spanned(best):
    return round(math.log2(max(best.values()) / min(best.values())))


def summarise(name, sizes, n_seeds, n_boot, rng):
    everyone = list(range(n_seeds))
    best = best_lrs(sizes, everyone)
    per_seed = [best_lrs(sizes, [i]) for i in everyone]
    counts = {size: {} for size in sizes}
    within_one = 0
    for _ in range(n_boot):
        picks = [rng.randrange(n_seeds) for _ in everyone]
        b = best_lrs(sizes, picks)
        within_one += steps_spanned(b) <= 1
        for size, lr in b.items():
            counts[size][lr] = counts[size].get(lr, 0) + 1
    table = {}
    for size in sorted(sizes):
        lrs = sizes[size]
        table[size] = {
            "mean_loss": {lr: sum(v) / len(v) for lr, v in sorted(lrs.items())},
            "seed_sd": {lr: (sum((x - sum(v) / len(v)) ** 2 for x in v) / (len(v) - 1)) ** 0.5
                        if len(v) > 1 else None for lr, v in sorted(lrs.items())},
            "best_lr": best[size],
            "best_lr_per_seed": [b[size] for b in per_seed],
            "bootstrap_best_lr_share": {lr: c / n_boot for lr, c in sorted(counts[size].items())},
        }
    return {"grid": name, "seeds": n_seeds, "sizes": table, "best_lr": best,
            "steps_spanned": steps_spanned(best),
            "bootstrap_share_within_one_step": within_one / n_boot if n_boot else None}


def print_summary(s):
    share = s["bootstrap_share_within_one_step"]
    print(f"{s['grid']} ({s['seeds']} seeds): best lr of the seed mean "
          + ", ".join(f"{size}: {lr:g}" for size, lr in sorted(s["best_lr"].items()))
          + f"; spans {s['steps_spanned']} grid step(s)"
          + (f"; resampled seeds span at most one step in {100 * share:.0f}%" if share is not None
             else ""))
    for size, row in s["sizes"].items():
        cells = " ".join(
            f"{lr:g}:{m:.3f}" + ("*" if lr == row["best_lr"] else "")
            for lr, m in row["mean_loss"].items())
        shares = ", ".join(f"{lr:g} {100 * p:.0f}%" for lr, p in row["bootstrap_best_lr_share"].items())
        per_seed = ", ".join(f"{lr:g}" for lr in row["best_lr_per_seed"])
        print(f"  {size:>4}: {cells}  | per seed {per_seed} | resampled best {shares}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", nargs="+")
    parser.add_argument("--bootstrap", type=int, default=2000)
    parser.add_argument("--json", help="write the summary here as JSON")
    args = parser.parse_args()
    if args.bootstrap < 0:
        sys.exit("transfer_summary: --bootstrap must be 0 or more")
    seeds = load(args.records)
    grids = losses_by_grid(seeds)
    rng = random.Random(20261206)
    summaries = []
    for name in sorted(grids):
        n_seeds, sizes = grids[name]
        if not all(sizes.values()):
            print(f"{name}: some size has no lr finished in every seed; skipped")
            continue
        s = summarise(name, sizes, n_seeds, args.bootstrap, rng)
        print_summary(s)
        summaries.append(s)
    if args.json:
        out = {"records": [seeds[s][0] for s in sorted(seeds)], "bootstrap": args.bootstrap,
               "summaries": summaries}
        json.dump(out, open(args.json, "w"), indent=1, default=str)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
