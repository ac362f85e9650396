#!/usr/bin/python3
"""Golden values for EegDann's shrinkage LDA (EegDann.Model.ShrinkageLda).

scikit-learn's LinearDiscriminantAnalysis(solver='lsqr', shrinkage='auto') -- Ledoit-Wolf
shrinkage of each class covariance on standardised features, prior-weighted pooling -- fitted on
a small correlated two-class problem with more features than a comfortable sample count, so the
shrinkage matters. Writes tests/data/golden/lda_golden.json: the data, sklearn's decision
function on every sample, its coef_ and intercept_ (two classes: one row, class 1 minus class 0).

Run: /usr/bin/python3 tools/golden/lda_golden.py  (Debian's python3-sklearn)
"""
import json
import os

import numpy as np
import sklearn
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

rng = np.random.RandomState(20261128)
n, p = 60, 24
mixing = rng.randn(p, p) * 0.4 + np.eye(p)
y = np.array([i % 2 for i in range(n)])
x = rng.randn(n, p) @ mixing.T
x[y == 1, :3] += 0.8  # the classes differ in three correlated features
x[:, 5] *= 30.0  # features of very different scales, as log-variances and band powers can be
x += np.linspace(-2, 2, p)

lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(x, y)
out = {
    "source": "scikit-learn %s LinearDiscriminantAnalysis(solver='lsqr', shrinkage='auto'), numpy %s" % (sklearn.__version__, np.__version__),
    "features": p,
    "x": x.round(12).tolist(),
    "y": y.tolist(),
    "coef": lda.coef_[0].tolist(),
    "intercept": float(lda.intercept_[0]),
    "decision": lda.decision_function(x).tolist(),
    "predicted": lda.predict(x).tolist(),
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "golden", "lda_golden.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
