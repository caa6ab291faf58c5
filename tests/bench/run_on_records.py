"""Runs a bench/ summary script on made-up JSON records, for the tests beside this file."""
import json
import os
import subprocess
import sys
import tempfile


def run_on_records(script, records, *flags):
    """(the finished process, the --json output or None if the script failed)."""
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for i, r in enumerate(records):
            paths.append(os.path.join(d, f"r{i}.json"))
            json.dump(r, open(paths[-1], "w"))
        out = os.path.join(d, "out.json")
        p = subprocess.run([sys.executable, script, *paths, "--json", out, *flags],
                           capture_output=True, text=True)
        return p, (json.load(open(out)) if p.returncode == 0 else None)
