#!/usr/bin/python3
"""Writes the scikit-learn parity fixtures of @mlops/plugin-linear.

Run from the repository root with Debian's Python (sklearn 1.2.1, scipy 1.10, numpy, pandas):

    /usr/bin/python3 packages/plugins/linear/scripts/gen-fixtures.py

Outputs (small JSON, committed; tests never need Python):
  test/fixtures/sklearn-linear.json   dense and small sparse cases: inputs, sklearn's coef_, intercept_, probabilities
  test/fixtures/sklearn-tickets.json  the ticket-text case: row indices of a seeded 2,000-row sample of the IT-ticket
                                      topics file, the TF-IDF settings, and sklearn's test-split metrics and labels.
                                      The features are NOT stored: the test rebuilds them with core's TF-IDF.
"""
import hashlib
import json
import os
import sys

import numpy as np
import pandas as pd
import scipy
import scipy.optimize
import scipy.sparse as sp
import sklearn
from sklearn.datasets import make_classification
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "test", "fixtures")
TICKETS_CSV = os.environ.get(
    "TICKETS_CSV",
    os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "datasets", "it-tickets",
                 "all_tickets_processed_improved_v3.csv"),
)
TICKETS_SHA256 = "044fdace33fa564e1e60453f2941dafc95539c99878b0d32746950394b9dd4d4"

# sklearn passes `tol` to scipy's L-BFGS-B as `gtol`; scipy also stops on a relative reduction of f below
# factr * eps = 2.2e-9, which sklearn does not expose. So each case is fitted twice:
#   "sklearn":  LogisticRegression(tol=1e-10) as a user gets it (in practice stopped by that relative-reduction test);
#   "optimum":  the same estimator with scipy's relative-reduction test disabled (ftol=0), i.e. the minimiser of
#               sklearn's own objective to ~1e-10 in the gradient: what "the same optimum" is compared against.
TIGHT = dict(solver="lbfgs", tol=1e-10, max_iter=10000)
_scipy_minimize = scipy.optimize.minimize


class _NoRelativeReductionStop:
    def __enter__(self):
        def minimize(*args, **kwargs):
            kwargs["options"] = {**kwargs.get("options", {}), "ftol": 0.0}
            return _scipy_minimize(*args, **kwargs)

        scipy.optimize.minimize = minimize

    def __exit__(self, *exc):
        scipy.optimize.minimize = _scipy_minimize


def versions():
    return {"sklearn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__}


def labels_json(values):
    return [v.item() if hasattr(v, "item") else v for v in values]


def fit_case(name, X, y, params, description, sample_weight=None):
    clf = LogisticRegression(**TIGHT, **params)
    clf.fit(X, y, sample_weight=sample_weight)
    proba = clf.predict_proba(X)
    with _NoRelativeReductionStop():
        opt = LogisticRegression(**TIGHT, **params).fit(X, y, sample_weight=sample_weight)
    case = {
        "name": name,
        "description": description,
        "params": params,
        "y": labels_json(list(y)),
        "classes": labels_json(list(clf.classes_)),
        "coef": clf.coef_.tolist(),
        "intercept": clf.intercept_.tolist(),
        "probabilities": proba.tolist(),
        "predicted": labels_json(list(clf.predict(X))),
        "nIter": int(np.max(clf.n_iter_)),
        "optimum": {
            "coef": opt.coef_.tolist(),
            "intercept": opt.intercept_.tolist(),
            "probabilities": opt.predict_proba(X).tolist(),
            "nIter": int(np.max(opt.n_iter_)),
        },
    }
    if sample_weight is not None:
        case["weights"] = sample_weight.tolist()
    if sp.issparse(X):
        X = X.tocsr()
        X.sort_indices()
        case["x"] = {
            "format": "csr",
            "nRows": X.shape[0],
            "nCols": X.shape[1],
            "indptr": X.indptr.tolist(),
            "indices": X.indices.tolist(),
            "values": X.data.tolist(),
        }
    else:
        case["x"] = {"format": "dense", "nRows": X.shape[0], "nCols": X.shape[1], "data": X.ravel().tolist()}
    return case


def small_cases():
    cases = []
    X, y = make_classification(n_samples=300, n_features=8, n_informative=5, n_redundant=1, n_classes=3,
                               n_clusters_per_class=1, class_sep=0.8, random_state=0)
    names = np.array(["bearing", "motor", "sensor"])
    cases.append(fit_case("dense-multinomial", X, names[y], {"C": 1.0},
                          "300x8, 3 string classes, softmax, default C"))

    Xb, yb = make_classification(n_samples=240, n_features=6, n_informative=4, n_redundant=0, n_classes=2,
                                 weights=[0.85, 0.15], flip_y=0.02, random_state=1)
    cases.append(fit_case("dense-binary-balanced", Xb, np.where(yb == 1, 1, -1),
                          {"C": 0.5, "class_weight": "balanced"},
                          "240x6, numeric labels -1/1 (15 % positives), logistic, class_weight balanced"))

    Xw, yw = make_classification(n_samples=200, n_features=5, n_informative=3, n_redundant=0, n_classes=4,
                                 n_clusters_per_class=1, random_state=2)
    rng = np.random.default_rng(3)
    sw = rng.uniform(0.5, 2.0, size=200)
    cases.append(fit_case("dense-weighted-no-intercept", Xw, np.array(list("abcd"))[yw],
                          {"C": 0.1, "fit_intercept": False, "class_weight": {"a": 1.0, "b": 2.0, "c": 0.5, "d": 1.5}},
                          "200x5, 4 classes, class weights dict + sample weights, no intercept, C=0.1",
                          sample_weight=sw))

    rng = np.random.default_rng(4)
    Xs = sp.random(250, 40, density=0.08, format="csr", random_state=5, data_rvs=lambda n: rng.uniform(0.1, 1.0, n))
    true_w = rng.normal(size=(40, 3)) * 3
    ys = np.argmax(Xs @ true_w + rng.normal(scale=0.3, size=(250, 3)), axis=1)
    cases.append(fit_case("sparse-multinomial", Xs, np.array(["x", "y", "z"])[ys], {"C": 4.0},
                          "250x40 CSR at 8 % density, 3 classes, C=4"))
    return cases


def tickets_case():
    if not os.path.exists(TICKETS_CSV):
        print(f"skipping the ticket case: {TICKETS_CSV} not found (set TICKETS_CSV)", file=sys.stderr)
        return None
    with open(TICKETS_CSV, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != TICKETS_SHA256:
        sys.exit(f"{TICKETS_CSV} has sha256 {digest}, expected {TICKETS_SHA256}")
    df = pd.read_csv(TICKETS_CSV, keep_default_na=False)
    rng = np.random.default_rng(20261123)
    rows = rng.choice(len(df), size=2000, replace=False)
    train_rows, test_rows = rows[:1500], rows[1500:]
    tfidf_params = {"min_df": 2, "ngram_range": [1, 2], "sublinear_tf": True}
    vec = TfidfVectorizer(min_df=2, ngram_range=(1, 2), sublinear_tf=True)
    Xtr = vec.fit_transform(df["Document"].iloc[train_rows])
    Xte = vec.transform(df["Document"].iloc[test_rows])
    ytr = df["Topic_group"].iloc[train_rows].to_numpy()
    yte = df["Topic_group"].iloc[test_rows].to_numpy()
    params = {"C": 10.0}
    clf = LogisticRegression(solver="lbfgs", tol=1e-6, max_iter=1000, **params)
    clf.fit(Xtr, ytr)
    pred = clf.predict(Xte)
    proba = clf.predict_proba(Xte)
    vocab = vec.get_feature_names_out().tolist()
    return {
        "name": "tickets-tfidf",
        "description": "2,000 tickets sampled with numpy default_rng(20261123) from the 47,837-row topics file; "
                       "the first 1,500 sampled rows train, the last 500 test; TF-IDF fitted on the training rows",
        "csv": "it-tickets/all_tickets_processed_improved_v3.csv",
        "csvSha256": TICKETS_SHA256,
        "trainRows": train_rows.tolist(),
        "testRows": test_rows.tolist(),
        "tfidf": tfidf_params,
        "vocabularySize": len(vocab),
        "vocabularySha256": hashlib.sha256("\n".join(vocab).encode("utf-8")).hexdigest(),
        "params": {**params, "tol": 1e-6, "max_iter": 1000},
        "classes": clf.classes_.tolist(),
        "nIter": int(np.max(clf.n_iter_)),
        "accuracy": float(accuracy_score(yte, pred)),
        "macroF1": float(f1_score(yte, pred, average="macro")),
        "predicted": pred.tolist(),
        # The first 20 test rows' probabilities, to check the optimum itself, not just the metrics.
        "probabilitiesHead": proba[:20].tolist(),
    }


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    out = {"generator": "packages/plugins/linear/scripts/gen-fixtures.py", "versions": versions(),
           "solver": TIGHT, "cases": small_cases()}
    with open(os.path.join(FIXTURES, "sklearn-linear.json"), "w") as f:
        json.dump(out, f)
    t = tickets_case()
    if t is not None:
        with open(os.path.join(FIXTURES, "sklearn-tickets.json"), "w") as f:
            json.dump({"generator": out["generator"], "versions": versions(), **t}, f)
        print(f"tickets: vocabulary {t['vocabularySize']}, accuracy {t['accuracy']:.4f}, "
              f"macro-F1 {t['macroF1']:.4f}, {t['nIter']} iterations")
    for c in out["cases"]:
        gap = np.max(np.abs(np.array(c["probabilities"]) - np.array(c["optimum"]["probabilities"])))
        print(f"{c['name']}: {c['nIter']} iterations (optimum: {c['optimum']['nIter']}); "
              f"sklearn's probabilities are within {gap:.1e} of the optimum")


if __name__ == "__main__":
    main()
