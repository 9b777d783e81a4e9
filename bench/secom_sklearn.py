"""scikit-learn baseline of the SECOM example's forest (started by bench/secom-sklearn.bench.mjs).

Usage: secom_sklearn.py DIR
DIR holds the example's preprocessed matrices (fitted on the training runs only) as little-endian float64:
x_train.f64, x_val.f64, x_test.f64, y_train.f64, and meta.json with their shapes and the forest settings.
Prints JSON: P(fail) for the validation and test runs, and the fit time. The metrics are computed by the bench in
JavaScript with the same functions as ours, so both models are scored identically.
"""
import json
import os
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier

d = sys.argv[1]
meta = json.load(open(os.path.join(d, "meta.json")))


def load(name, rows, cols=None):
    a = np.fromfile(os.path.join(d, name), dtype="<f8")
    return a.reshape(rows, cols) if cols else a


n_cols = meta["nCols"]
x_train = load("x_train.f64", meta["nTrain"], n_cols)
y_train = load("y_train.f64", meta["nTrain"]).astype(int)
x_val = load("x_val.f64", meta["nVal"], n_cols)
x_test = load("x_test.f64", meta["nTest"], n_cols)
f = meta["forest"]
clf = RandomForestClassifier(
    n_estimators=f["nEstimators"],
    max_features=f["maxFeatures"],
    class_weight="balanced_subsample",
    random_state=f["seed"],
    n_jobs=f["workers"],
)
start = time.perf_counter()
clf.fit(x_train, y_train)
fit_seconds = time.perf_counter() - start
j = list(clf.classes_).index(1)
print(
    json.dumps(
        {
            "fit_seconds": fit_seconds,
            "val": clf.predict_proba(x_val)[:, j].tolist(),
            "test": clf.predict_proba(x_test)[:, j].tolist(),
            "sklearn": __import__("sklearn").__version__,
        }
    )
)
