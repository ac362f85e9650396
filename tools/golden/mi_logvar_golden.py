#!/usr/bin/python3
"""Golden values for EegDann's signal pipeline, computed independently of EegDann.

Reads the raw EEGMMIDB EDF files with MNE-Python and filters them with SciPy, exactly as
issue 3 states the reference:
  * butter(4, [8, 30], 'bandpass', fs=160, output='sos'), sosfilt from zero state over each
    whole recording, every EEG channel, in microvolts (float64);
  * epochs for T1 (left) and T2 (right) starting at round(onset*fs) + round(0.5*fs),
    320 samples (2.0 s) long;
  * natural log of the population variance (ddof=0) of each channel in each epoch (uV^2).
It also writes impulse responses of a few Butterworth designs (band-pass and band-stop) so the
filter design can be checked on its own, and resample_poly outputs for the streaming resampler.

Usage: /usr/bin/python3 tools/golden/mi_logvar_golden.py [RAW_DIR] [OUT_DIR]
  RAW_DIR defaults to ../shared/recordings-raw (beside the repository's parent), OUT_DIR to
  tests/data/golden. Needs Debian's python3-mne and python3-scipy. Only run by people: the
  tests read the JSON it writes, never Python.
"""
import json
import os
import sys

import mne
import numpy as np
import scipy
from scipy.signal import butter, sosfilt

mne.set_log_level("ERROR")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SUBJECT = "S001"
RUNS = ("R04", "R08", "R12")
CLASSES = {"T1": "left", "T2": "right"}
TMIN_S = 0.5
LENGTH_S = 2.0


def find_raw_dir():
    for d in (os.path.join(REPO, "..", "shared", "recordings-raw"),
              os.path.join(REPO, "..", "..", "shared", "recordings-raw")):
        if os.path.isdir(os.path.join(d, "eegmmidb")):
            return os.path.abspath(d)
    sys.exit("shared/recordings-raw not found; pass RAW_DIR")


def recording_golden(path):
    raw = mne.io.read_raw_edf(path, preload=True)
    fs = float(raw.info["sfreq"])
    # EEGMMIDB pads labels with dots ('C3..'); EegDann's import strips them.
    channels = [c.rstrip(".") for c in raw.ch_names]
    x = raw.get_data().astype(np.float64) * 1e6  # volts -> microvolts, (channels, samples)
    sos = butter(4, [8.0, 30.0], btype="bandpass", fs=fs, output="sos")
    y = sosfilt(sos, x, axis=1)
    offset = int(round(TMIN_S * fs))
    length = int(round(LENGTH_S * fs))
    epochs = []
    for onset, desc in zip(raw.annotations.onset, raw.annotations.description):
        if desc not in CLASSES:
            continue
        start = int(round(onset * fs)) + offset
        seg = y[:, start:start + length]
        assert seg.shape[1] == length, (path, onset)
        epochs.append({
            "onset_s": float(onset),
            "event": str(desc),
            "label": CLASSES[desc],
            "start_sample": start,
            "logvar": [float(v) for v in np.log(np.var(seg, axis=1, ddof=0))],
        })
    return {
        "recording": os.path.splitext(os.path.basename(path))[0],
        "sample_rate_hz": fs,
        "sample_count": int(x.shape[1]),
        "channels": channels,
        "epochs": epochs,
    }


def impulse_responses():
    designs = [
        ("bandpass", 4, [8.0, 30.0], 160.0),
        ("bandpass", 2, [1.0, 40.0], 250.0),
        ("bandpass", 6, [0.5, 45.0], 160.0),
        ("bandstop", 2, [48.0, 52.0], 160.0),
        ("bandstop", 4, [58.0, 62.0], 250.0),
    ]
    out = []
    n = 1024
    impulse = np.zeros(n)
    impulse[0] = 1.0
    for kind, order, band, fs in designs:
        sos = butter(order, band, btype=kind, fs=fs, output="sos")
        out.append({
            "kind": kind, "order": order, "low_hz": band[0], "high_hz": band[1], "sample_rate_hz": fs,
            "sos": sos.tolist(),
            "impulse_response": sosfilt(sos, impulse).tolist(),
        })
    return out


def resampling_cases():
    """resample_poly (SciPy's default Kaiser design, zero padding) of a fixed two-channel signal."""
    from scipy.signal import resample_poly
    rng = np.random.default_rng(20260101)
    cases = []
    for fs_in, fs_out, n in ((250.0, 160.0, 700), (160.0, 256.0, 500), (512.0, 160.0, 1100)):
        t = np.arange(n) / fs_in
        x = np.vstack([
            20 * np.sin(2 * np.pi * 10.3 * t) + 5 * np.sin(2 * np.pi * 37.0 * t) + rng.normal(0, 3, n),
            rng.normal(0, 10, n),
        ]).astype(np.float32).astype(np.float64)  # float32-exact, as recordings store them
        from fractions import Fraction
        r = Fraction(int(fs_out), int(fs_in))
        y = resample_poly(x, r.numerator, r.denominator, axis=1)
        cases.append({"input_rate_hz": fs_in, "output_rate_hz": fs_out,
                      "input": x.tolist(), "output": y.tolist()})
    return cases


def main():
    raw_dir = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else find_raw_dir()
    out_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(REPO, "tests", "data", "golden")
    os.makedirs(out_dir, exist_ok=True)
    recordings = [recording_golden(os.path.join(raw_dir, "eegmmidb", SUBJECT, f"{SUBJECT}{run}.edf")) for run in RUNS]
    doc = {
        "generator": "tools/golden/mi_logvar_golden.py",
        "versions": {"mne": mne.__version__, "scipy": scipy.__version__, "numpy": np.__version__},
        "reference": "butter(4,[8,30],'bandpass',fs,output='sos'); sosfilt from zero state over the whole recording; "
                     "epoch start round(onset*fs)+round(0.5*fs), 320 samples; log(var(ddof=0)) in uV^2",
        "subject": SUBJECT,
        "recordings": recordings,
    }
    with open(os.path.join(out_dir, "mi_logvar_S001.json"), "w") as f:
        json.dump(doc, f, indent=1)
    with open(os.path.join(out_dir, "butterworth_impulse_responses.json"), "w") as f:
        json.dump({"generator": "tools/golden/mi_logvar_golden.py",
                   "versions": {"scipy": scipy.__version__},
                   "designs": impulse_responses()}, f, indent=1)
    with open(os.path.join(out_dir, "resample_poly.json"), "w") as f:
        json.dump({"generator": "tools/golden/mi_logvar_golden.py",
                   "versions": {"scipy": scipy.__version__},
                   "cases": resampling_cases()}, f)
    total = sum(len(r["epochs"]) for r in recordings)
    print(f"wrote {total} epochs of {SUBJECT} and the impulse responses to {out_dir}")


if __name__ == "__main__":
    main()
