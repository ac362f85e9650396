#!/usr/bin/python3
"""Reference for the `import` benchmark: MNE-Python reading the same EDF files (preload=True).

Usage: /usr/bin/python3 bench/python/mne_read_edf.py REPEATS FILE...
Prints one JSON line: {"seconds": [wall time per repeat to read all files], "cpu_seconds": [CPU
time per repeat], "mne": version}.
Interpreter start-up and the import of mne are not timed.
"""
import json
import sys
import time

import mne


def main():
    repeats = int(sys.argv[1])
    files = sys.argv[2:]
    times = []
    cpu = []
    for _ in range(repeats):
        start = time.perf_counter()
        start_cpu = time.process_time()
        for path in files:
            raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
            raw.get_data()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(json.dumps({"seconds": times, "cpu_seconds": cpu, "mne": mne.__version__}))


if __name__ == "__main__":
    main()
