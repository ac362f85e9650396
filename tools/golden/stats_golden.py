#!/usr/bin/python3
"""Golden values for EegDann's report statistics (EegDann.Pipelines.Calibration.Statistics).

Wilson score interval (statsmodels' proportion_confint(method='wilson') formula, written out),
Student-t 97.5% quantiles, the two-sided exact sign test (scipy.stats.binomtest) and the exact
two-sided Wilcoxon signed-rank test (scipy.stats.wilcoxon, mode='exact', no ties or zeros).
Writes tests/data/golden/stats_golden.json.

Run: /usr/bin/python3 tools/golden/stats_golden.py  (Debian's python3-scipy)
"""
import json
import os

import numpy as np
import scipy
from scipy import stats


def wilson(p, n, z=stats.norm.ppf(0.975)):
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [centre - half, centre + half]


out = {"source": "scipy %s, numpy %s" % (scipy.__version__, np.__version__)}
out["wilson"] = [{"p": p, "n": n, "interval": wilson(p, n)} for p, n in [(0.6, 45), (27 / 45, 45), (0.0, 10), (1.0, 10), (0.533, 35)]]
out["t975"] = [{"df": df, "q": float(stats.t.ppf(0.975, df))} for df in [1, 2, 4, 9, 29, 49, 100]]
signs = []
for k, n in [(7, 10), (8, 10), (10, 10), (5, 10), (2, 9), (0, 3)]:
    signs.append({"wins": k, "n": n, "p": float(stats.binomtest(k, n, 0.5).pvalue)})
out["sign"] = signs
rng = np.random.RandomState(20261204)
wil = []
for n, shift in [(10, 0.03), (10, 0.0), (7, 0.05), (12, -0.02), (10, 0.2)]:
    d = np.round(rng.randn(n) * 0.05 + shift, 6)
    assert len(set(np.abs(d))) == n and np.all(d != 0)
    r = stats.wilcoxon(d, mode="exact")
    wil.append({"d": d.tolist(), "statistic": float(r.statistic), "p": float(r.pvalue)})
out["wilcoxon"] = wil
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "golden", "stats_golden.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", os.path.normpath(path))
