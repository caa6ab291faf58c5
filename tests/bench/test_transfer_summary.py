"""bench/transfer_summary.py on made-up records: the seed-mean best lr, the spread in grid steps,
the resampled share, and the records it refuses (standard library only)."""
import os
import unittest

from run_on_records import run_on_records

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "transfer_summary.py")


def record(seed, losses, tokens=None):
    """losses: {width: {lr: loss}} for one grid named width_mup."""
    runs = {f"d{w}-lr{lr}": {"width": w, "lr": lr, "status": "finished", "final_val_loss": loss}
            for w, by_lr in losses.items() for lr, loss in by_lr.items()}
    r = {"seed": seed, "grids": {"width_mup": {"axis": "width", "runs": runs}}}
    if tokens:
        r["tokens"] = tokens
    return r


class TransferSummary(unittest.TestCase):
    def run_on(self, records, *flags):
        return run_on_records(SCRIPT, records, *flags)

    def test_the_seed_mean_picks_the_best_lr_and_counts_grid_steps(self):
        # Seed 1 prefers 1e-2 at width 64, seed 2 prefers 4e-2 by more: the mean picks 4e-2.
        a = record(1, {32: {0.01: 2.0, 0.02: 2.1, 0.04: 2.2}, 64: {0.01: 1.90, 0.02: 2.0, 0.04: 1.95}})
        b = record(2, {32: {0.01: 2.0, 0.02: 2.1, 0.04: 2.2}, 64: {0.01: 1.90, 0.02: 2.0, 0.04: 1.70}})
        p, s = self.run_on([a, b], "--bootstrap", "400")
        self.assertEqual(p.returncode, 0, p.stderr)
        g = s["summaries"][0]
        self.assertEqual(g["best_lr"], {"32": 0.01, "64": 0.04})
        self.assertEqual(g["steps_spanned"], 2)
        self.assertEqual(g["sizes"]["64"]["best_lr_per_seed"], [0.01, 0.04])
        # Resampled: both seeds drawn as seed 1 (a quarter of the time) keeps 1e-2 at width 64.
        share = g["sizes"]["64"]["bootstrap_best_lr_share"]
        self.assertAlmostEqual(share["0.01"], 0.25, delta=0.08)
        self.assertAlmostEqual(g["bootstrap_share_within_one_step"], share["0.01"], delta=1e-12)

    def test_a_repeated_seed_is_refused(self):
        a = record(1, {32: {0.01: 2.0}})
        p, _ = self.run_on([a, a])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("repeats seed 1 of width_mup", p.stderr)

    def test_one_seeds_grids_may_come_in_two_records(self):
        a = record(1, {32: {0.01: 2.0, 0.02: 2.1}})
        b = record(1, {32: {0.01: 2.2, 0.02: 2.1}})
        b["grids"]["width_standard"] = b["grids"].pop("width_mup")
        p, s = self.run_on([a, b], "--bootstrap", "0")
        self.assertEqual(p.returncode, 0, p.stderr)
        best = {g["grid"]: g["best_lr"] for g in s["summaries"]}
        self.assertEqual(best, {"width_mup": {"32": 0.01}, "width_standard": {"32": 0.02}})

    def test_records_of_different_lengths_are_refused(self):
        p, _ = self.run_on([record(1, {32: {0.01: 2.0}}), record(2, {32: {0.01: 2.0}}, 4e5)])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("tokens", p.stderr)


if __name__ == "__main__":
    unittest.main()
