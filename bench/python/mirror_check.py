#!/usr/bin/python3
"""Hemisphere mirroring of the labeled sources, checked in the classic tools before building it
into the trainer (issue 10; not used by the product at run time).

Left and right hand imagery are mirror images over the midline, so a source epoch with every
10-10 channel swapped with its partner (odd <-> even number, C3 <-> C4; midline channels kept)
and its label swapped is a second training example with no knob. On mi-fb-dann's features this
is a permutation of the columns: the Euclidean alignment of a mirrored subject is the mirrored
alignment, and a per-channel log-variance or z-score follows its channel.

Features as adversary_diagnostic.py computes them ('ea', each subject's features then z-scored
with its own statistics, as the default standardises per subject); leave one subject out over
the subjects found; imagery sources only or with the sources' executed runs; classifiers
trained without and with the mirrored source rows; mean target accuracy and wins / losses.

Usage: /usr/bin/python3 bench/python/mirror_check.py RAWDIR [--out FILE.json]
RAWDIR as for adversary_diagnostic.py (../shared/recordings-raw). Needs Debian's python3-mne,
python3-scipy, python3-sklearn and python3-torch (through adversary_diagnostic.py).
"""
import argparse
import glob
import json
import os
import re
import sys
import warnings

import mne
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adversary_diagnostic import BANDS, load  # noqa: E402


def mirror_permutation(channels):
    """Column permutation of the band-major feature vector that swaps each channel with its mirror."""
    index = {c: i for i, c in enumerate(channels)}
    partner = []
    for c in channels:
        base, number = re.match(r"([A-Za-z]+?)(\d+|z)$", c).groups()
        if number == "z":
            partner.append(index[c])
        else:
            n = int(number)
            partner.append(index[base + str(n + 1 if n % 2 else n - 1)])
    n = len(channels)
    return np.concatenate([b * n + np.array(partner) for b in range(len(BANDS))])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rawdir")
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    subjects = sorted(os.path.basename(p) for p in glob.glob(os.path.join(args.rawdir, "eegmmidb", "S*")))
    raw = mne.io.read_raw_edf(glob.glob(os.path.join(args.rawdir, "eegmmidb", subjects[0], "*R04.edf"))[0])
    perm = mirror_permutation([c.strip(".") for c in raw.ch_names])
    features = load(args.rawdir, subjects)

    def z(x):
        return (x - x.mean(0)) / (x.std(0) + 1e-6)

    classifiers = {
        "lr_c0.003": lambda: [LogisticRegression(C=0.003, max_iter=5000)],
        "lr_c0.01": lambda: [LogisticRegression(C=0.01, max_iter=5000)],
        "lr_c0.1": lambda: [LogisticRegression(C=0.1, max_iter=5000)],
        "mlp16": lambda: [MLPClassifier((16,), alpha=0.1, max_iter=300, random_state=s) for s in range(3)],
    }
    results = {}
    for with_executed in (False, True):
        for name, make in classifiers.items():
            per_target = {0: [], 1: []}
            for target in subjects:
                groups = [("mi", s) for s in subjects if s != target] + ([("ex", s) for s in subjects if s != target] if with_executed else [])
                xs = np.concatenate([z(features[(g, s, "ea")]) for g, s in groups])
                ys = np.concatenate([features[(g, s, "y")] for g, s in groups])
                xt, yt = z(features[("mi", target, "ea")]), features[("mi", target, "y")]
                for mirrored in (0, 1):
                    x, y = (np.vstack([xs, xs[:, perm]]), np.r_[ys, 1 - ys]) if mirrored else (xs, ys)
                    mean, scale = x.mean(0), x.std(0) + 1e-6
                    accuracy = np.mean([(m.fit((x - mean) / scale, y).predict((xt - mean) / scale) == yt).mean() for m in make()])
                    per_target[mirrored].append(float(accuracy))
            a, b = np.array(per_target[0]), np.array(per_target[1])
            key = f"{name}{'_executed' if with_executed else ''}"
            results[key] = {"targets": subjects, "without": a.tolist(), "with": b.tolist()}
            print(f"{key:22s} without {a.mean():.3f}  with mirroring {b.mean():.3f}  wins/losses {int((b > a).sum())}/{int((b < a).sum())}", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
