#!/usr/bin/python3
"""How far a linear classifier gets on the default's features (issue 10; not used by the product).

Features as adversary_diagnostic.py computes them ('ea', each subject's features then z-scored with
its own statistics, as mi-fb-dann standardises per subject). For every leave-one-subject-out target,
the L2 strength C of a logistic regression is chosen among a fixed grid by an inner
leave-one-subject-out over the nine sources only (the target never seen), then the model is fitted
on all nine and scored on the target: a nested estimate, as bench calibration-selection makes for
EegDann's candidates. Imagery sources only, and with the sources' executed runs 03/07/11.

Usage: /usr/bin/python3 bench/python/linear_check.py RAWDIR [--out FILE.json]
RAWDIR as for adversary_diagnostic.py (../shared/recordings-raw). Needs Debian's python3-mne,
python3-scipy, python3-sklearn and python3-torch (through adversary_diagnostic.py).
"""
import argparse
import glob
import json
import os
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adversary_diagnostic import load  # noqa: E402

GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 1.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rawdir")
    ap.add_argument("--out")
    args = ap.parse_args()
    subjects = sorted(os.path.basename(p) for p in glob.glob(os.path.join(args.rawdir, "eegmmidb", "S*")))
    features = load(args.rawdir, subjects)

    def z(x):
        return (x - x.mean(0)) / (x.std(0) + 1e-6)

    def accuracy(train, target, c):
        xs = np.concatenate([z(features[(g, s, "ea")]) for g, s in train])
        ys = np.concatenate([features[(g, s, "y")] for g, s in train])
        mean, scale = xs.mean(0), xs.std(0) + 1e-6
        model = LogisticRegression(C=c, max_iter=5000).fit((xs - mean) / scale, ys)
        return float((model.predict((z(features[("mi", target, "ea")]) - mean) / scale) == features[("mi", target, "y")]).mean())

    def groups(sources, with_executed):
        return [("mi", s) for s in sources] + ([("ex", s) for s in sources] if with_executed else [])

    results = {}
    for with_executed in (False, True):
        rows = []
        for target in subjects:
            sources = [s for s in subjects if s != target]
            inner = {c: np.mean([accuracy(groups([s for s in sources if s != v], with_executed), v, c) for v in sources]) for c in GRID}
            chosen = max(GRID, key=lambda c: inner[c])
            rows.append({"target": target, "chosen_c": chosen, "accuracy": accuracy(groups(sources, with_executed), target, chosen)})
        key = "imagery_and_executed" if with_executed else "imagery"
        results[key] = rows
        print(f"{key:22s} nested accuracy {np.mean([r['accuracy'] for r in rows]):.3f}  chosen C {[r['chosen_c'] for r in rows]}", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
