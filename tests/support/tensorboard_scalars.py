#!/usr/bin/env python3
"""Reads the TensorBoard event files of a run folder back with the tensorboard package's own reader
(EventAccumulator, which also applies purges after a resume), for tests/e2e/test_tensorboard_e2e.cpp.

usage: tensorboard_scalars.py RUN_DIR OUT.json
OUT.json: {"by_step": {tag: [[step, value], ...]}, "by_tokens": {...}}
"""
import json
import os
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def scalars(log_dir):
    accumulator = EventAccumulator(log_dir, size_guidance={"scalars": 0})
    accumulator.Reload()
    return {tag: [[e.step, e.value] for e in accumulator.Scalars(tag)]
            for tag in accumulator.Tags()["scalars"]}


def main():
    run_dir, out = sys.argv[1], sys.argv[2]
    result = {name: scalars(os.path.join(run_dir, "tensorboard", name))
              for name in ("by_step", "by_tokens")}
    with open(out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
