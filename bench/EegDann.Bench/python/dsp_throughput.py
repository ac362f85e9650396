#!/usr/bin/python3
"""SciPy reference for the dsp-throughput benchmark (run by EegDann.Bench, same data, same run).

Reads float32 samples (channels x samples, little-endian) written by the benchmark, then times:
  filter            sosfilt(butter(4, [8, 30], 'bandpass', fs, output='sos')) over all channels
  filter+logvar     the same, then log(var) of every sliding window (length, stride) at once
Prints one JSON line: seconds per pass, wall clock and process CPU time (the fastest of the repeats).
Usage: dsp_throughput.py DATA.f32 CHANNELS SAMPLES FS WINDOW STRIDE REPEATS
"""
import json
import sys
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import butter, sosfilt


def main():
    path, channels, samples, fs, window, stride, repeats = sys.argv[1:8]
    channels, samples, window, stride, repeats = int(channels), int(samples), int(window), int(stride), int(repeats)
    fs = float(fs)
    x = np.fromfile(path, dtype="<f4").reshape(channels, samples).astype(np.float64)
    sos = butter(4, [8.0, 30.0], btype="bandpass", fs=fs, output="sos")

    def filter_only():
        return sosfilt(sos, x, axis=1)

    def filter_logvar():
        y = sosfilt(sos, x, axis=1)
        w = sliding_window_view(y, window, axis=1)[:, ::stride, :]  # (channels, windows, window)
        return np.log(np.var(w, axis=2))

    out = {}
    for name, fn in (("filter", filter_only), ("filter_logvar", filter_logvar)):
        fn()
        times, cpu = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            r = fn()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        out[name] = float(np.min(times))
        out[name + "_cpu"] = float(np.min(cpu))
        if name == "filter_logvar":
            out["windows"] = int(r.shape[1])
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
