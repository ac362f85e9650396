#!/usr/bin/python3
"""Golden values for EegDann's BrainVision reader, computed with MNE-Python.

Run from the repository root:  /usr/bin/python3 tools/golden/brainvision_golden.py
It reads every header tests/data/formats/brainvision/*.vhdr (MNE-Python's own test files, BSD-3)
with mne.io.read_raw_brainvision and writes tests/data/golden/brainvision_golden.json: per file
the SHA-256 of the header, sample rate, sample count and channel names; per channel whether MNE
calls it a voltage, and in EegDann's units (microvolts for voltages; for any other channel the
number of the unit the header states, i.e. MNE's value divided by that unit's SI factor) the sum,
the sum of absolute values, the sum of squares, the position-weighted sum (i + 1) * x[i] and the
first and last two samples; and the annotations (onset, duration, description). The C# tests read
this file; they never run Python.
"""
import glob
import hashlib
import json
import os
import sys

import mne
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data", "formats", "brainvision")


def main():
    files = sorted(glob.glob(os.path.join(DATA, "*.vhdr")))
    if not files:
        sys.exit(f"no .vhdr files under {DATA}")
    out = {"generator": f"mne {mne.__version__}, numpy {np.__version__}", "files": {}}
    for path in files:
        raw = mne.io.read_raw_brainvision(path, preload=True, verbose="error")
        data = raw.get_data()  # SI units, float64, (channels, samples)
        voltage = [ch["unit"] == mne.io.constants.FIFF.FIFF_UNIT_V for ch in raw.info["chs"]]
        # Voltages to microvolts; anything else back to the unit the header states ('range' holds its SI factor).
        scale = np.array([1e6 if v else 1.0 / ch["range"] for v, ch in zip(voltage, raw.info["chs"])])
        data = data * scale[:, None]
        n = data.shape[1]
        name = os.path.basename(path)
        out["files"][name] = {
            "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
            "sfreq": raw.info["sfreq"],
            "n_samples": n,
            "channels": raw.ch_names,
            "voltage": voltage,
            "sum": data.sum(axis=1).tolist(),
            "sum_abs": np.abs(data).sum(axis=1).tolist(),
            "sum_sq": (data ** 2).sum(axis=1).tolist(),
            # Position-weighted: sum over i of (i + 1) * x[i]; catches shifted or swapped samples.
            "sum_iw": (data * np.arange(1, n + 1)).sum(axis=1).tolist(),
            "first": data[:, :2].T.tolist(),  # (2, channels)
            "last": data[:, -2:].T.tolist(),
            "events": [[float(a["onset"]), float(a["duration"]), a["description"]] for a in raw.annotations],
        }
    target = os.path.join(ROOT, "tests", "data", "golden", "brainvision_golden.json")
    with open(target, "w") as f:
        json.dump(out, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")
    print(f"wrote {target}: {len(out['files'])} files")


if __name__ == "__main__":
    main()
