#!/usr/bin/python3
"""Golden values for EegDann's EDF reader, computed with MNE-Python.

Run from the repository root:  /usr/bin/python3 tools/golden/edf_golden.py
It reads every EDF file in the shared raw folder (shared/recordings-raw beside the repository or
an ancestor of it, or $EEGDANN_RAW_DIR): eegmmidb/ (imagined left/right fist, runs 04/08/12),
eegmmidb-executed/ (executed left/right fist, runs 03/07/11) and eegmmidb-fists-feet/ (imagined
both fists/both feet, runs 06/10/14), with mne.io.read_raw_edf, and writes
tests/data/edf_golden.json: per file its SHA-256, sample rate, sample count and channel names;
per channel, in microvolts, the sum, the sum of absolute values, the sum of squares and the
position-weighted sum (i + 1) * x[i]; every channel's value at a few fixed sample indices; and the
annotations (onset, duration, description). Every file's SHA-256 must equal the value MNE-Python
lists for it (mne/data/eegbci_checksums.txt, what mne.datasets.eegbci checks downloads against),
else the script stops. The C# tests read this file; they never run Python.
"""
import glob
import hashlib
import json
import os
import sys

import mne
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def find_raw():
    """$EEGDANN_RAW_DIR, else the first shared/recordings-raw beside the repository or an ancestor."""
    if os.environ.get("EEGDANN_RAW_DIR"):
        return os.environ["EEGDANN_RAW_DIR"]
    d = ROOT
    while True:
        candidate = os.path.join(d, "shared", "recordings-raw")
        if os.path.isdir(os.path.join(candidate, "eegmmidb")):
            return candidate
        if os.path.dirname(d) == d:
            sys.exit("shared/recordings-raw not found; set EEGDANN_RAW_DIR")
        d = os.path.dirname(d)


RAW = find_raw()
# Fixed indices: first, early, middle-ish, late and last sample (the last is resolved per file).
INDICES = [0, 1, 159, 1000, 7777, 12345, -1]
# The three sets of the shared folder; file names (SXXXRYY) are unique across them.
FOLDERS = ["eegmmidb", "eegmmidb-executed", "eegmmidb-fists-feet"]


def reference_checksums():
    """SHA-256 per 'SXXX/SXXXRYY.edf' from MNE-Python's list of the PhysioNet files."""
    path = os.path.join(os.path.dirname(mne.__file__), "data", "eegbci_checksums.txt")
    with open(path) as f:
        return dict(line.split()[:2] for line in f if line.strip())


def main():
    reference = reference_checksums()
    files = []
    for folder in FOLDERS:
        found = sorted(glob.glob(os.path.join(RAW, folder, "S*", "S*R*.edf")))
        if not found:
            sys.exit(f"no EDF files under {RAW}/{folder}")
        files += found
    out = {"generator": f"mne {mne.__version__}, numpy {np.__version__}", "files": {}}
    for path in files:
        raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
        data = raw.get_data() * 1e6  # volts -> microvolts, float64, (channels, samples)
        n = data.shape[1]
        idx = [i if i >= 0 else n + i for i in INDICES]
        name = os.path.splitext(os.path.basename(path))[0]
        sha256 = hashlib.sha256(open(path, "rb").read()).hexdigest()
        key = f"{name[:4]}/{name}.edf"
        if reference.get(key) != sha256:
            sys.exit(f"{path}: SHA-256 {sha256} differs from MNE's eegbci_checksums.txt ({reference.get(key)})")
        out["files"][name] = {
            "path": os.path.relpath(path, RAW),
            "sha256": sha256,
            "sfreq": raw.info["sfreq"],
            "n_samples": n,
            "channels": raw.ch_names,
            "sum": data.sum(axis=1).tolist(),
            "sum_abs": np.abs(data).sum(axis=1).tolist(),
            "sum_sq": (data ** 2).sum(axis=1).tolist(),
            # Position-weighted: sum over i of (i + 1) * x[i]; catches shifted or swapped samples.
            "sum_iw": (data * np.arange(1, n + 1)).sum(axis=1).tolist(),
            "indices": idx,
            "values": data[:, idx].T.tolist(),  # (len(indices), channels)
            "events": [[float(a["onset"]), float(a["duration"]), a["description"]] for a in raw.annotations],
        }
    target = os.path.join(ROOT, "tests", "data", "edf_golden.json")
    with open(target, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {target}: {len(out['files'])} files")


if __name__ == "__main__":
    main()
