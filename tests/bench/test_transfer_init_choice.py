"""bench/transfer_init_choice.py on made-up base_mup records: the init whose best seed-mean loss is
lowest wins (not the one with the lowest single run), seeds are resampled together, and records it
cannot compare are refused (standard library only)."""
import os
import unittest

from run_on_records import run_on_records

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "transfer_init_choice.py")


def record(init, seed, losses, tokens=None):
    """losses: {lr: loss} at width 32 of the base_mup grid, trained with model.init_std=init."""
    runs = {f"d32-lr{lr}": {"width": 32, "lr": lr, "status": "finished", "final_val_loss": loss}
            for lr, loss in losses.items()}
    return {"seed": seed, "tokens": tokens, "set": f"model.init_std={init}",
            "grids": {"base_mup": {"axis": "width", "runs": runs}}}


class TransferInitChoice(unittest.TestCase):
    def run_on(self, records, *flags):
        return run_on_records(SCRIPT, records, *flags)

    def test_the_lowest_seed_mean_at_its_best_lr_wins(self):
        # init 0.1 has the single lowest run (seed 1 at 2e-2) but the higher mean; 0.05 wins on the
        # mean at 1e-2 (its seeds disagree on the lr, so its per-seed best lrs differ).
        records = [
            record(0.05, 1, {0.01: 2.00, 0.02: 2.05}), record(0.05, 2, {0.01: 2.00, 0.02: 1.98}),
            record(0.1, 1, {0.01: 2.10, 0.02: 1.90}), record(0.1, 2, {0.01: 2.20, 0.02: 2.20}),
        ]
        p, s = self.run_on(records, "--bootstrap", "400")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(s["chosen_init_std"], 0.05)
        self.assertEqual(s["inits"]["0.05"]["best_lr"], 0.01)
        self.assertEqual(s["inits"]["0.05"]["best_lr_per_seed"], [0.01, 0.02])
        self.assertTrue(s["chosen_at_grid_edge"])  # 0.05 is the smaller of the two inits
        # Resampled seeds drawn together: both drawn as seed 1 (a quarter) make 0.1 win.
        self.assertAlmostEqual(s["inits"]["0.1"]["bootstrap_share_chosen"], 0.25, delta=0.08)

    def test_inits_run_with_different_seeds_are_refused(self):
        p, _ = self.run_on([record(0.05, 1, {0.01: 2.0}), record(0.1, 2, {0.01: 2.0})])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("init_std 0.1 ran seeds [2]", p.stderr)

    def test_a_record_without_an_init_is_refused(self):
        r = record(0.05, 1, {0.01: 2.0})
        r["set"] = None
        p, _ = self.run_on([r])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("sets no model.init_std", p.stderr)

    def test_records_of_different_lengths_are_refused(self):
        p, _ = self.run_on([record(0.05, 1, {0.01: 2.0}), record(0.1, 1, {0.01: 2.0}, 4e5)])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("different lengths", p.stderr)


if __name__ == "__main__":
    unittest.main()
