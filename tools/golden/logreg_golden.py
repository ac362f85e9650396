#!/usr/bin/python3
"""Golden values for EegDann's logistic regression (EegDann.Model.LogisticRegression).

scikit-learn's LogisticRegression(penalty='l2', C) -- the classifier of pyRiemann's usual
tangent-space pipeline -- on two small two-class problems: more features than samples (as
tangent-space vectors are) and fewer. scikit-learn's solvers stop at their tolerance (lbfgs and
newton-cg differ by ~1e-5 here), so its lbfgs solution is polished with dense Newton steps on the
same objective (0.5*|w|^2 + C*sum log(1+exp(-y(w.x+b))), intercept unpenalised) until the
gradient vanishes; the script checks that scikit-learn agrees to 1e-3. Writes
tests/data/golden/logreg_golden.json: the data, the optimum's coef and intercept, decisions.

Run: /usr/bin/python3 tools/golden/logreg_golden.py  (Debian's python3-sklearn)
"""
import json
import os

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

rng = np.random.RandomState(20261204)
cases = []
for n, p, c in [(40, 90, 1.0), (120, 12, 0.3)]:
    y = np.array([i % 3 == 0 for i in range(n)], dtype=int)
    x = rng.randn(n, p) * np.linspace(0.2, 3.0, p)
    x[y == 1, :4] += 0.7
    x += 0.5
    lr = LogisticRegression(penalty="l2", C=c, solver="lbfgs", tol=1e-12, max_iter=100000).fit(x, y)
    theta = np.concatenate([lr.coef_[0], lr.intercept_])
    z = np.hstack([x, np.ones((n, 1))])
    s = 2.0 * y - 1
    reg = np.ones(p + 1)
    reg[-1] = 0
    for _ in range(50):
        m = z @ theta
        q = 1 / (1 + np.exp(s * m))  # 1 - P(correct)
        grad = reg * theta - c * z.T @ (s * q)
        if np.abs(grad).max() < 1e-13:
            break
        hess = np.diag(reg) + c * (z * (q * (1 - q))[:, None]).T @ z
        theta = theta - np.linalg.solve(hess, grad)
    assert np.abs(theta[:-1] - lr.coef_[0]).max() < 1e-3 and abs(theta[-1] - lr.intercept_[0]) < 1e-3
    cases.append({
        "c": c,
        "features": p,
        "x": x.round(12).tolist(),
        "y": y.tolist(),
        "coef": theta[:-1].tolist(),
        "intercept": float(theta[-1]),
        "decision": (x @ theta[:-1] + theta[-1]).tolist(),
        "max_gradient": float(np.abs(grad).max()),
    })

out = {
    "source": "scikit-learn %s LogisticRegression(penalty='l2', solver='lbfgs', tol=1e-12) polished by dense Newton steps, numpy %s" % (sklearn.__version__, np.__version__),
    "cases": cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "golden", "logreg_golden.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
