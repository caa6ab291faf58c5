#!/usr/bin/env python3
"""Final validation loss of every (budget, size) of each Porian step, from the run folders, as one
Markdown table (rows: budget and size; columns: steps). usage: losses.py RUNS_ROOT"""
import glob
import json
import os
import sys

root = sys.argv[1]
steps = sorted(os.listdir(root))
table = {}
for step in steps:
    for s in glob.glob(os.path.join(root, step, "*", "summary.json")):
        j = json.load(open(s))
        key = (float(j["tags"]["budget"]), j["params"]["total"])
        table.setdefault(key, {})[step] = j["final_val_loss"]
print("| budget C | N | " + " | ".join(steps) + " |")
print("|---|---|" + "---|" * len(steps))
for (budget, n), row in sorted(table.items()):
    cells = []
    for step in steps:
        v = row.get(step)
        best = v is not None and v == min(r.get(step, 9e9) for (b, _), r in table.items() if b == budget)
        cells.append("-" if v is None else (f"**{v:.3f}**" if best else f"{v:.3f}"))
    print(f"| {budget:.2g} | {n:,} | " + " | ".join(cells) + " |")
print("\nBold: the lowest loss of the budget in that step.")
