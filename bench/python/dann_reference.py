#!/usr/bin/env python3
"""Reference DANN in PyTorch, used as a side-by-side peer for EegDann's numbers.

A copy of the shared peers' ../shared/peers/dann_reference.py, kept in the repository so that
`eegdann bench` and the bench project's dann-step run from a fresh clone.

It trains the same three-part network the project trains (feature extractor,
label head, domain head behind a gradient-reversal layer; Ganin & Lempitsky
2015 schedules) on either the two-blob toy problem or a feature matrix given
as .npz (Xs, ys, Xt[, yt]), and prints one JSON line with target accuracy and
wall time per training step.

Requires Debian's python3-torch, python3-numpy and python3-sklearn:
    apt-get install -y python3-torch python3-numpy python3-sklearn
Run with the system interpreter: /usr/bin/python3 dann_reference.py blobs
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import torch
from torch import nn


class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -ctx.lam * g, None


class Dann(nn.Module):
    def __init__(self, n_in, n_hidden, n_classes):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(),
                                      nn.Linear(n_hidden, n_hidden), nn.ReLU())
        self.label = nn.Linear(n_hidden, n_classes)
        self.domain = nn.Sequential(nn.Linear(n_hidden, n_hidden), nn.ReLU(),
                                    nn.Linear(n_hidden, 2))

    def forward(self, x, lam):
        f = self.features(x)
        return self.label(f), self.domain(GradReverse.apply(f, lam))


def blobs(seed, n=500):
    """Two classes, linearly separable in each domain; the target is the
    source rotated by 30 degrees and shifted, so a source-trained boundary
    mislabels much of it."""
    from sklearn.datasets import make_blobs
    xs, ys = make_blobs(n_samples=n, centers=[[-1.0, 0.0], [1.0, 0.0]],
                        cluster_std=0.35, random_state=seed)
    xt, yt = make_blobs(n_samples=n, centers=[[-1.0, 0.0], [1.0, 0.0]],
                        cluster_std=0.35, random_state=seed + 1000)
    xt = xt + np.array([1.5, 1.0])
    return xs.astype(np.float32), ys, xt.astype(np.float32), yt


def train(xs, ys, xt, yt, adapt, seed, epochs, batch, hidden, lr, threads):
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    mu = xs.mean(0, keepdims=True)
    sd = xs.std(0, keepdims=True) + 1e-6
    xs_t = torch.tensor((xs - mu) / sd)
    xt_t = torch.tensor((xt - mu) / sd)
    ys_t = torch.tensor(ys, dtype=torch.long)
    n_classes = int(max(ys.max(), (yt.max() if yt is not None else 0))) + 1
    model = Dann(xs.shape[1], hidden, n_classes)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    ce = nn.CrossEntropyLoss()
    steps_per_epoch = max(1, math.ceil(len(xs) / batch))
    total = epochs * steps_per_epoch
    g = torch.Generator().manual_seed(seed)
    step = 0
    t0 = time.perf_counter()
    for _ in range(epochs):
        ps = torch.randperm(len(xs_t), generator=g)
        for i in range(steps_per_epoch):
            p = step / total
            lam = (2.0 / (1.0 + math.exp(-10 * p)) - 1.0) if adapt else 0.0
            for group in opt.param_groups:
                group["lr"] = lr / (1.0 + 10 * p) ** 0.75
            bi = ps[i * batch:(i + 1) * batch]
            ti = torch.randint(0, len(xt_t), (len(bi),), generator=g)
            x = torch.cat([xs_t[bi], xt_t[ti]])
            d = torch.cat([torch.zeros(len(bi), dtype=torch.long),
                           torch.ones(len(bi), dtype=torch.long)])
            y_logits, d_logits = model(x, lam)
            loss = ce(y_logits[:len(bi)], ys_t[bi])
            if adapt:
                loss = loss + ce(d_logits, d)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
    elapsed = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        acc = None
        if yt is not None:
            pred = model(xt_t, 0.0)[0].argmax(1).numpy()
            acc = float((pred == yt).mean())
    return acc, elapsed / max(step, 1), step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data", help="'blobs' or a .npz with Xs, ys, Xt and optionally yt")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    if a.data == "blobs":
        xs, ys, xt, yt = blobs(a.seed)
    else:
        z = np.load(a.data)
        xs, ys, xt = z["Xs"].astype(np.float32), z["ys"], z["Xt"].astype(np.float32)
        yt = z["yt"] if "yt" in z else None
    out = {"data": a.data, "seed": a.seed}
    for name, adapt in (("source_only", False), ("dann", True)):
        acc, step_s, steps = train(xs, ys, xt, yt, adapt, a.seed, a.epochs,
                                   a.batch, a.hidden, a.lr, a.threads)
        out[name] = {"target_accuracy": acc, "seconds_per_step": step_s, "steps": steps}
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
