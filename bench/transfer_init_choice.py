#!/usr/bin/env python3
"""Choose muP's base init_std with the lr at the base width (issue 28), from the records that
bench/transfer_base_init.sh writes (bench/transfer_mup.sh records of one base grid, base_mup or
base_completep, one per init and seed; design bench/results/transfer_init_design_20261206T0535Z.md).

For each init, the final validation loss at each lr is averaged over the seeds; the init's value is
the lowest of those means (at its best lr), and the chosen init has the lowest value. The seeds are
shared by every init (a seed trains the same data order whatever the init), so they are resampled
together (BOOTSTRAP times, fixed random seed) to give how often each init comes out best.

Usage: bench/transfer_init_choice.py RECORD.json [RECORD.json ...] [--bootstrap 2000] [--json OUT]
Refused: a record without model.init_std in its "set", records of different training lengths, or
inits run with different seeds.
"""
import argparse
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transfer_summary import losses_by_grid, merge_seeds  # noqa: E402

def init_of(path, record):
    match = re.search(r"model\.init_std=([0-9.eE+-]+)", record.get("set") or "")
    if not match:
        sys.exit(f"transfer_init_choice: {path} sets no model.init_std")
    return float(match.group(1))


def grid_of(records):
    names = {name for _, record in records for name in record["grids"]}
    if len(names) != 1:
        sys.exit(f"transfer_init_choice: expected records of one base grid, got {sorted(names)}")
    return names.pop()


def losses_by_init(records, grid):
    """init -> (seeds, lr -> [loss per seed, in seed order]) at the base width, from (path,
    record) pairs."""
    tokens = {record.get("tokens") for _, record in records}
    if len(tokens) > 1:
        sys.exit(f"transfer_init_choice: the records trained different lengths: {sorted(map(str, tokens))}")
    by_init = {}
    for path, record in records:
        by_init.setdefault(init_of(path, record), []).append((path, record))
    table, seed_sets = {}, {}
    for init, group in sorted(by_init.items()):
        seeds = merge_seeds(group)  # refuses a seed's grid twice
        grids = losses_by_grid(seeds)
        if grid not in grids:
            sys.exit(f"transfer_init_choice: no finished {grid} grid for init_std {init:g}")
        _, sizes = grids[grid]
        (_, lrs), = sizes.items()
        if not lrs:
            sys.exit(f"transfer_init_choice: init_std {init:g} has no lr finished in every seed")
        table[init] = lrs
        seed_sets[init] = sorted(seeds)
    first = next(iter(seed_sets.values()))
    for init, seeds in seed_sets.items():
        if seeds != first:
            sys.exit(f"transfer_init_choice: init_std {init:g} ran seeds {seeds}, others {first}")
    return table, first, tokens.pop()


def best(lrs, picks):
    """(best lr, its mean loss) over the seed indices in picks."""
    means = {lr: sum(v[i] for i in picks) / len(picks) for lr, v in lrs.items()}
    lr = min(means, key=means.get)
    return lr, means[lr]


def choose(table, picks):
    return min(table, key=lambda init: best(table[init], picks)[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", nargs="+")
    parser.add_argument("--bootstrap", type=int, default=2000)
    parser.add_argument("--json", help="write the choice here as JSON")
    args = parser.parse_args()
    if args.bootstrap < 0:
        sys.exit("transfer_init_choice: --bootstrap must be 0 or more")
    records = [(path, json.load(open(path))) for path in args.records]  # each file read once
    grid = grid_of(records)
    table, seeds, tokens = losses_by_init(records, grid)
    everyone = list(range(len(seeds)))
    chosen = choose(table, everyone)
    rng = random.Random(20261206)
    wins = {}
    for _ in range(args.bootstrap):
        picks = [rng.randrange(len(seeds)) for _ in everyone]
        winner = choose(table, picks)
        wins[winner] = wins.get(winner, 0) + 1
    rows = {}
    length = f"{tokens:g}" if tokens else "the grid file's"
    print(f"{grid} at {length} tokens, seeds {seeds}: seed-mean loss by lr")
    for init, lrs in table.items():
        lr, loss = best(lrs, everyone)
        rows[init] = {"mean_loss": {lr_: sum(v) / len(v) for lr_, v in sorted(lrs.items())},
                      "best_lr": lr, "best_mean_loss": loss,
                      "best_lr_per_seed": [best(lrs, [i])[0] for i in everyone],
                      "bootstrap_share_chosen": wins.get(init, 0) / args.bootstrap
                      if args.bootstrap else None}
        cells = " ".join(f"{x:g}:{m:.3f}" + ("*" if x == lr else "")
                         for x, m in rows[init]["mean_loss"].items())
        share = rows[init]["bootstrap_share_chosen"]
        print(f"  init_std {init:<5g} {cells} | best {loss:.3f} at {lr:g}"
              + (f" | chosen in {100 * share:.0f}% of resamples" if share is not None else ""))
    edge = " (the init grid's edge)" if chosen in (min(table), max(table)) else ""
    print(f"chosen init_std {chosen:g}{edge}, best lr {rows[chosen]['best_lr']:g}")
    if args.json:
        json.dump({"grid": grid, "records": args.records, "tokens": tokens, "seeds": seeds,
                   "bootstrap": args.bootstrap, "inits": rows, "chosen_init_std": chosen,
                   "chosen_at_grid_edge": bool(edge)},
                  open(args.json, "w"), indent=1, default=str)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
