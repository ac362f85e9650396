#!/usr/bin/python3
"""Golden values for importing a mixed-rate EDF: slow channels resampled with SciPy's resample_poly.

Run from the repository root:  /usr/bin/python3 tools/golden/mixed_rate_golden.py
Writes tests/data/golden/mixed_rate_resample.json: a clinical-style layout of 4 one-second records
with EEG at 256 Hz, respiration at 8 Hz and SpO2 at 1 Hz. For each slow channel: its digital
samples (the EDF test writes them with physical = digital) and resample_poly(x, 256/rate, 1)
(SciPy's default Kaiser design, zero padding), which EegDann's import must reproduce.
The C# tests read this file; they never run Python.
"""
import json
import os

import numpy as np
import scipy
from scipy.signal import resample_poly

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECORDS = 4
TARGET = 256


def main():
    rng = np.random.default_rng(20261204)
    k8 = np.arange(8 * RECORDS)
    channels = {
        # Breathing at 0.3 Hz with noise, and a slowly varying saturation.
        "Resp": (8, np.round(800 * np.sin(2 * np.pi * 0.3 * k8 / 8) + rng.normal(0, 40, k8.size)).astype(int)),
        "SpO2": (1, np.array([97, 96, 98, 95])),
    }
    out = {"generator": f"tools/golden/mixed_rate_golden.py, scipy {scipy.__version__}, numpy {np.__version__}",
           "records": RECORDS, "target_rate_hz": TARGET, "channels": {}}
    for name, (rate, digital) in channels.items():
        x = digital.astype(np.float32).astype(np.float64)
        y = resample_poly(x, TARGET // rate, 1)
        out["channels"][name] = {"rate_hz": rate, "digital": digital.tolist(), "resampled": y.tolist()}
    target = os.path.join(ROOT, "tests", "data", "golden", "mixed_rate_resample.json")
    with open(target, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
