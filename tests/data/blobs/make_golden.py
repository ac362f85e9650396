#!/usr/bin/env python3
"""Golden values for EegDann's two-blob toy problem (TwoBlobs.Generate).

Writes blobs_golden.json: for seeds 0 and 4, the source and target points and labels exactly as
../shared/peers/dann_reference.py's blobs() draws them (scikit-learn make_blobs, float32).
Run with Debian's interpreter (python3-sklearn 1.2, numpy 1.24):
    /usr/bin/python3 tests/data/blobs/make_golden.py
"""
import json
import os

import numpy as np
from sklearn.datasets import make_blobs


def blobs(seed, n=500):
    # Identical to dann_reference.py's blobs().
    xs, ys = make_blobs(n_samples=n, centers=[[-1.0, 0.0], [1.0, 0.0]], cluster_std=0.35, random_state=seed)
    xt, yt = make_blobs(n_samples=n, centers=[[-1.0, 0.0], [1.0, 0.0]], cluster_std=0.35, random_state=seed + 1000)
    xt = xt + np.array([1.5, 1.0])
    return xs.astype(np.float32), ys, xt.astype(np.float32), yt


out = {}
for seed in (0, 4):
    xs, ys, xt, yt = blobs(seed)
    out[str(seed)] = {
        "source": [float(v) for v in xs.ravel()],
        "source_labels": [int(v) for v in ys],
        "target": [float(v) for v in xt.ravel()],
        "target_labels": [int(v) for v in yt],
    }
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "blobs_golden.json")
with open(path, "w") as f:
    json.dump(out, f)
print(path)
