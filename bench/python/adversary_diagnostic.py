#!/usr/bin/python3
"""Why the adversary adds little after Euclidean alignment: a diagnostic of issue 10, in the
classic tools, beside EegDann's own evaluation (not used by the product at run time).

Features as pipelines/mi-fb-dann.json computes them, re-done in SciPy: causal 4th-order
Butterworth band-passes (second-order sections) 8-12, 12-16, 16-20, 20-24, 24-30 Hz, epochs
0.5-2.5 s after each T1/T2 cue, log-variance of the 64 channels per band (320 features), either
as recorded ('raw') or after Euclidean alignment of each band per subject and group of runs
('ea', He & Wu 2020; the reference fitted on the group's own epochs, labels unused).

1. Domain separability: for every leave-one-subject-out target, a linear domain classifier
   (z-scoring + L2 logistic regression, C = 1) tells the target's epochs from as many source
   epochs drawn at random; its 5-fold cross-validated accuracy is what a domain head could
   exploit linearly (0.5 = nothing to remove).
2. Leave-one-subject-out target accuracy of an ensemble of five source-only networks against
   five DANN networks, the network and schedule of mi-fb-dann (320 -> 16 -> 2, dropout 0.5,
   weight decay 1e-3, domain head 16 -> 16 -> 2, 100 epochs, batches of 32 + 32, SGD momentum
   0.9, lr 0.01/(1+10p)^0.75, lambda 2/(1+exp(-10p))-1), logits averaged, on 'raw', 'ea' and
   'ea' with each subject's features z-scored with its own statistics ('ea_subject', fitted on
   the subject's unlabeled epochs, as the alignment is), imagery sources only or with the
   sources' executed runs 03/07/11 as groups of their own.

Usage: /usr/bin/python3 bench/python/adversary_diagnostic.py RAWDIR [--seeds 0,1,2]
       [--out FILE.json] [--processes 2]
RAWDIR holds eegmmidb/SXXX/SXXXR04.edf, R08, R12 and eegmmidb-executed/SXXX/SXXXR03.edf, R07,
R11 (../shared/recordings-raw). Needs Debian's python3-mne, python3-scipy, python3-sklearn,
python3-torch. Prints one line per condition and writes the JSON (per target values).
"""
import argparse
import glob
import json
import math
import os
import sys
import time
from multiprocessing import Pool

import mne
import numpy as np
import torch
from scipy.linalg import fractional_matrix_power
from scipy.signal import butter, sosfilt
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

mne.set_log_level("ERROR")
BANDS = [(8, 12), (12, 16), (16, 20), (20, 24), (24, 30)]
GROUPS = {"mi": ("eegmmidb", ("R04", "R08", "R12")), "ex": ("eegmmidb-executed", ("R03", "R07", "R11"))}
FEATURES = {}


def band_epochs(folder, runs):
    """Per band, the (epochs, channels, samples) array; and the labels (T1 = 0, T2 = 1)."""
    per_band, labels = [[] for _ in BANDS], []
    for run in runs:
        raw = mne.io.read_raw_edf(glob.glob(os.path.join(folder, f"*{run}.edf"))[0], preload=True)
        data, fs = raw.get_data() * 1e6, raw.info["sfreq"]
        events, _ = mne.events_from_annotations(raw, event_id={"T1": 0, "T2": 1})
        for b, (lo, hi) in enumerate(BANDS):
            filtered = sosfilt(butter(4, [lo, hi], btype="bandpass", fs=fs, output="sos"), data, axis=1)
            for onset in events[:, 0]:
                start = onset + int(0.5 * fs)
                per_band[b].append(filtered[:, start:start + int(2 * fs)])
        labels += list(events[:, 2])
    return [np.array(x) for x in per_band], np.array(labels)


def aligned(x):
    reference = np.mean([t @ t.T / t.shape[1] for t in x], axis=0)
    return np.einsum("ij,njt->nit", np.real(fractional_matrix_power(reference, -0.5)), x)


def log_variance(per_band):
    return np.concatenate([np.log(np.var(x, axis=2)) for x in per_band], axis=1)


def load(rawdir, subjects):
    out = {}
    for s in subjects:
        for group, (folder, runs) in GROUPS.items():
            per_band, y = band_epochs(os.path.join(rawdir, folder, s), runs)
            out[(group, s, "raw")] = log_variance(per_band)
            out[(group, s, "ea")] = log_variance([aligned(x) for x in per_band])
            out[(group, s, "y")] = y
    return out


def separability(sources, target, seed=0):
    rng = np.random.default_rng(seed)
    drawn = sources[rng.choice(len(sources), len(target), replace=False)]
    x = np.concatenate([drawn, target])
    d = np.r_[np.zeros(len(drawn)), np.ones(len(target))]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
    return float(cross_val_score(model, x, d, cv=StratifiedKFold(5, shuffle=True, random_state=seed)).mean())


class GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.lam * grad, None


class Net(nn.Module):
    def __init__(self, n_in):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(n_in, 16), nn.ReLU(), nn.Dropout(0.5))
        self.label = nn.Linear(16, 2)
        self.domain = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, x, lam):
        h = self.features(x)
        return self.label(h), self.domain(GradientReversal.apply(h, lam))


def train(xs, ys, xt, adversary, seed, epochs=100, batch=32, lr=0.01):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    xs, xt, ys = torch.tensor(xs, dtype=torch.float32), torch.tensor(xt, dtype=torch.float32), torch.tensor(ys)
    net = Net(xs.shape[1])
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=1e-3)
    ce = nn.CrossEntropyLoss()
    per_epoch = math.ceil(len(xs) / batch)
    total, step = epochs * per_epoch, 0
    for _ in range(epochs):
        order = torch.randperm(len(xs), generator=gen)
        for i in range(per_epoch):
            p = step / total
            lam = 2.0 / (1.0 + math.exp(-10.0 * p)) - 1.0
            for group in opt.param_groups:
                group["lr"] = lr / (1.0 + 10.0 * p) ** 0.75
            bi = order[i * batch:(i + 1) * batch]
            ti = torch.randint(0, len(xt), (len(bi),), generator=gen)
            label_logits, domain_logits = net(torch.cat([xs[bi], xt[ti]]), lam if adversary else 0.0)
            loss = ce(label_logits[:len(bi)], ys[bi])
            if adversary:
                loss = loss + ce(domain_logits, torch.cat([torch.zeros(len(bi)), torch.ones(len(bi))]).long())
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
    net.eval()
    with torch.no_grad():
        return net(xt, 0.0)[0].numpy()


def fold(condition, target, subjects, seed):
    kind, with_executed = condition
    feature = "raw" if kind == "raw" else "ea"
    groups = [("mi", s) for s in subjects if s != target]
    if with_executed:
        groups += [("ex", s) for s in subjects if s != target]

    def prepared(group, s):
        x = FEATURES[(group, s, feature)]
        return (x - x.mean(0)) / (x.std(0) + 1e-6) if kind == "ea_subject" else x

    xs = np.concatenate([prepared(g, s) for g, s in groups])
    ys = np.concatenate([FEATURES[(g, s, "y")] for g, s in groups])
    xt, yt = prepared("mi", target), FEATURES[("mi", target, "y")]
    mean, scale = xs.mean(0), xs.std(0) + 1e-6
    xs, xt = (xs - mean) / scale, (xt - mean) / scale
    out = {}
    for method, adversary in (("source_only_x5", False), ("dann_x5", True)):
        logits = sum(train(xs, ys, xt, adversary, seed * 5 + k) for k in range(5))
        out[method] = float((logits.argmax(1) == yt).mean())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rawdir")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--out")
    ap.add_argument("--processes", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(1)
    seeds = [int(s) for s in a.seeds.split(",")]
    t0 = time.perf_counter()
    subjects = sorted(os.listdir(os.path.join(a.rawdir, "eegmmidb")))
    subjects = [s for s in subjects if os.path.isdir(os.path.join(a.rawdir, "eegmmidb", s))]
    FEATURES.update(load(a.rawdir, subjects))
    result = {"subjects": subjects, "seeds": seeds, "separability": {}, "loso": {}}
    for feature in ("raw", "ea"):
        per_target = {t: separability(np.concatenate([FEATURES[("mi", s, feature)] for s in subjects if s != t]),
                                      FEATURES[("mi", t, feature)]) for t in subjects}
        result["separability"][feature] = {"per_target": per_target, "mean": float(np.mean(list(per_target.values())))}
        print(f"domain separability {feature}: {result['separability'][feature]['mean']:.3f}", flush=True)
    conditions = [("raw", False), ("ea", False), ("ea_subject", False), ("ea", True), ("ea_subject", True)]
    with Pool(a.processes) as pool:
        for condition in conditions:
            jobs = [(condition, t, subjects, seed) for seed in seeds for t in subjects]
            rows = pool.starmap(fold, jobs)
            name = condition[0] + ("+executed" if condition[1] else "")
            entry = {}
            for method in ("source_only_x5", "dann_x5"):
                per_target = np.array([r[method] for r in rows]).reshape(len(seeds), len(subjects)).mean(0)
                entry[method] = {"per_target": dict(zip(subjects, map(float, per_target))),
                                 "mean": float(per_target.mean()), "sd": float(per_target.std(ddof=1))}
            diff = np.array([entry["dann_x5"]["per_target"][t] - entry["source_only_x5"]["per_target"][t] for t in subjects])
            entry["dann_minus_source_only"] = {"mean": float(diff.mean()), "wins": int((diff > 0).sum()),
                                               "losses": int((diff < 0).sum())}
            result["loso"][name] = entry
            print(f"{name}: source_only_x5 {entry['source_only_x5']['mean']:.3f} ± {entry['source_only_x5']['sd']:.3f}, "
                  f"dann_x5 {entry['dann_x5']['mean']:.3f} ± {entry['dann_x5']['sd']:.3f}, "
                  f"difference {diff.mean():+.3f} ({entry['dann_minus_source_only']['wins']} wins / "
                  f"{entry['dann_minus_source_only']['losses']} losses)", flush=True)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["versions"] = {"mne": mne.__version__, "torch": torch.__version__, "numpy": np.__version__}
    if a.out:
        with open(a.out + ".tmp", "w") as f:
            json.dump(result, f, indent=1)
        os.replace(a.out + ".tmp", a.out)


if __name__ == "__main__":
    sys.exit(main())
