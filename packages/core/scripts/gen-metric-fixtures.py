#!/usr/bin/python3
"""Writes the scikit-learn parity fixtures of @mlops/core (metrics and preprocessing).

Run from the repo root with Debian's Python (sklearn 1.2.1):
    /usr/bin/python3 packages/core/scripts/gen-metric-fixtures.py
It writes packages/core/test/fixtures/metrics.json and preprocessing.json, which are committed: tests never need
Python. Every input is generated here with a fixed seed, so the output is reproducible.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)
from sklearn.preprocessing import OneHotEncoder, StandardScaler, label_binarize
from sklearn.utils import murmurhash3_32

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures")
rng = np.random.default_rng(20261104)


def flist(a):
    return [None if (isinstance(x, float) and np.isnan(x)) else float(x) for x in np.asarray(a, dtype=float).ravel()]


def py(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


# ----------------------------------------------------------------------------------------------- metrics
def clf_case(name, y_true, y_pred, labels=None, zero_division=0):
    y_true = list(y_true)
    y_pred = list(y_pred)
    lab = labels if labels is not None else sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=lab, average=None, zero_division=zero_division)
    avg = {}
    for a in ("macro", "weighted", "micro"):
        ap, ar, af, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=lab, average=a, zero_division=zero_division
        )
        avg[a] = {"precision": float(ap), "recall": float(ar), "f1": float(af)}
    case = {
        "name": name,
        "yTrue": [py(v) for v in y_true],
        "yPred": [py(v) for v in y_pred],
        "zeroDivision": zero_division,
        "expected": {
            "labels": [py(v) for v in lab],
            "precision": flist(p),
            "recall": flist(r),
            "f1": flist(f),
            "support": [int(v) for v in s],
            **avg,
            "confusionMatrix": confusion_matrix(y_true, y_pred, labels=lab).tolist(),
        },
    }
    if labels is not None:
        case["labels"] = [py(v) for v in labels]
    else:
        case["expected"]["accuracy"] = float(accuracy_score(y_true, y_pred))
        case["expected"]["balancedAccuracy"] = float(balanced_accuracy_score(y_true, y_pred))
        case["expected"]["balancedAccuracyAdjusted"] = (
            float(balanced_accuracy_score(y_true, y_pred, adjusted=True)) if len(set(y_true)) > 1 else None
        )
    return case


def noisy(y, classes, p):
    return [c if rng.random() > p else classes[rng.integers(len(classes))] for c in y]


topics = ["network", "hardware", "access", "software"]
yb = [int(v) for v in rng.integers(0, 2, 200)]
ym = [topics[i] for i in rng.choice(4, 300, p=[0.4, 0.3, 0.2, 0.1])]
classification = [
    clf_case("binary ints", yb, noisy(yb, [0, 1], 0.3)),
    clf_case("multiclass strings", ym, noisy(ym, topics, 0.35)),
    clf_case("class never predicted, zeroDivision 0", ym[:60], [t if t != "software" else "access" for t in noisy(ym[:60], topics[:3], 0.2)]),
    clf_case("class never predicted, zeroDivision 1", ym[:60], [t if t != "software" else "access" for t in noisy(ym[:60], topics[:3], 0.2)], zero_division=1),
    clf_case("predicted class absent from truth", ["a", "a", "b", "b", "b"], ["a", "c", "b", "c", "b"]),
    clf_case("single class", ["ok"] * 7, ["ok"] * 7),
    clf_case("labels subset and order", ym[:80], noisy(ym[:80], topics, 0.4), labels=["software", "network"]),
    clf_case("labels superset", [1, 2, 2, 3], [1, 2, 3, 3], labels=[3, 2, 1, 0]),
]


def rank_case(name, y_true, scores, pos_label):
    yt = np.asarray(y_true)
    b = (yt == pos_label).astype(int)
    return {
        "name": name,
        "yTrue": [py(v) for v in y_true],
        "scores": [float(s) for s in scores],
        "posLabel": py(pos_label),
        "expected": {
            "rocAuc": float(roc_auc_score(b, scores)) if len(set(b)) == 2 else None,
            "prAuc": float(average_precision_score(b, scores)),
        },
    }


s_cont = rng.random(150)
yr = [int(v) for v in (s_cont + rng.normal(0, 0.35, 150) > 0.6)]
s_tied = np.round(s_cont, 1)
yf = ["fail" if v else "pass" for v in (rng.random(120) < 0.08)]
sf = [float(round(x, 2)) for x in np.where(np.array(yf) == "fail", rng.beta(3, 2, 120), rng.beta(2, 3, 120))]
ranking = [
    rank_case("continuous scores", yr, s_cont, 1),
    rank_case("tied scores", yr, s_tied, 1),
    rank_case("all scores tied", yr[:20], [0.5] * 20, 1),
    rank_case("string labels, rare positive class", yf, sf, "fail"),
    rank_case("perfect ranking", [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], 1),
    rank_case("inverted ranking", [0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1], 1),
    rank_case("no positive", [0, 0, 0], [0.2, 0.4, 0.1], 1),
]

k = len(topics)
labels_sorted = sorted(topics)
true_idx = [labels_sorted.index(t) for t in ym]
logits = rng.normal(0, 1, (300, k))
logits[np.arange(300), true_idx] += 1.2
logits = np.round(logits, 1)  # ties within columns
proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
Y = label_binarize(ym, classes=labels_sorted)
multiclass = [
    {
        "name": "multiclass one-vs-rest",
        "yTrue": ym,
        "labels": labels_sorted,
        "scores": proba.tolist(),
        "expected": {
            "rocAucMacro": float(roc_auc_score(ym, proba, multi_class="ovr", average="macro", labels=labels_sorted)),
            "rocAucWeighted": float(roc_auc_score(ym, proba, multi_class="ovr", average="weighted", labels=labels_sorted)),
            "prAucMacro": float(average_precision_score(Y, proba, average="macro")),
            "prAucWeighted": float(average_precision_score(Y, proba, average="weighted")),
        },
    }
]

# ----------------------------------------------------------------------------------------- preprocessing
tickets = [
    "cannot connect to the vpn from home since this morning",
    "printer on the third floor is jammed again",
    "please reset my password, i am locked out of my account",
    "outlook keeps crashing when i open attachments",
    "need access to the finance shared drive",
    "laptop battery drains in one hour, please replace it",
    "the wifi in meeting room b drops every few minutes",
    "request a new monitor for my desk",
    "vpn client says certificate expired",
    "my account is locked after too many login attempts",
    "install python and visual studio code on my laptop",
    "shared drive is very slow today",
    "printer prints blank pages",
    "email not syncing on my phone",
    "cannot log in to the hr portal, password expired",
    "request access to the sales dashboard",
    "keyboard keys are sticking, need a replacement keyboard",
    "the network is down in building two",
    "teams calls drop after ten minutes on the vpn",
    "please install the new version of excel",
    "docking station does not detect the second monitor",
    "grant admin rights to install software",
    "password reset link in the email does not work",
    "server room temperature alarm is on",
    "slow internet connection on the guest wifi",
    "new employee needs a laptop, an account and email access",
    "outlook calendar invites are missing",
    "cannot print to the colour printer from my laptop",
    "antivirus blocked the installer of our accounting software",
    "urgent: production database server is not responding",
    "the projector in room 12 has no signal",
    "my mailbox is full, please increase the quota",
    "café wifi portal shows an error – Zugang verweigert",
    "naïve question: how do I map the network drive?",
    "vpn vpn vpn still failing after the reset",
]
tickets_test = [
    "vpn certificate error when connecting from home",
    "printer jammed on floor three",
    "need a password reset for the hr portal",
    "brand new words only zebra quasar",
    "",
    "ÉCRAN noir après la mise à jour du pilote",
]


def csr_triples(X):
    X = X.tocsr().copy()
    X.eliminate_zeros()
    X.sort_indices()
    rows = []
    for i in range(X.shape[0]):
        a, b = X.indptr[i], X.indptr[i + 1]
        rows.append({"indices": X.indices[a:b].tolist(), "values": X.data[a:b].tolist()})
    return rows


tfidf_configs = [
    ("defaults", {}, {}),
    ("bigrams, english stop words, sublinear tf", {"ngram_range": (1, 2), "stop_words": "english", "sublinear_tf": True},
     {"ngramRange": [1, 2], "stopWords": "english", "sublinearTf": True}),
    ("minDf 2, maxDf 0.5", {"min_df": 2, "max_df": 0.5}, {"minDf": 2, "maxDf": 0.5}),
    ("maxFeatures 7", {"max_features": 7}, {"maxFeatures": 7}),
    ("l1 norm, binary, no smoothing", {"norm": "l1", "binary": True, "smooth_idf": False}, {"norm": "l1", "binary": True, "smoothIdf": False}),
    ("no idf, no norm", {"use_idf": False, "norm": None}, {"useIdf": False, "norm": None}),
]
tfidf = []
for name, kw, ts in tfidf_configs:
    v = TfidfVectorizer(**kw).fit(tickets)
    if "max_features" in kw:
        # Our tie-break (alphabetical) may differ from numpy's unstable argsort: make sure there is no tie at the cut.
        from sklearn.feature_extraction.text import CountVectorizer

        tf = np.asarray(CountVectorizer().fit_transform(tickets).sum(axis=0)).ravel()
        top = np.sort(tf)[::-1]
        assert top[kw["max_features"] - 1] != top[kw["max_features"]], "tie at the maxFeatures cut: change the texts"
    tfidf.append({
        "name": name,
        "options": ts,
        "vocabulary": v.get_feature_names_out().tolist(),
        "idf": v.idf_.tolist() if v.use_idf else None,
        "train": csr_triples(v.transform(tickets)),
        "test": csr_triples(v.transform(tickets_test)),
    })

hashing_configs = [
    ("defaults (2^20 features)", {}, {}),
    ("16 features, collisions cancel", {"n_features": 16}, {"nFeatures": 16}),
    ("bigrams, no alternate sign, l1", {"n_features": 1024, "ngram_range": (1, 2), "alternate_sign": False, "norm": "l1"},
     {"nFeatures": 1024, "ngramRange": [1, 2], "alternateSign": False, "norm": "l1"}),
    ("no norm, stop words", {"n_features": 4096, "norm": None, "stop_words": "english"}, {"nFeatures": 4096, "norm": None, "stopWords": "english"}),
]
hashing = []
for name, kw, ts in hashing_configs:
    v = HashingVectorizer(**kw)
    hashing.append({
        "name": name,
        "options": ts,
        "nFeatures": v.n_features,
        "train": csr_triples(v.transform(tickets)),
        "test": csr_triples(v.transform(tickets_test)),
    })

murmur_keys = ["", "a", "ab", "abc", "abcd", "vpn", "password reset", "naïve", "café", "Zugang", "日本語", "😀 emoji", "x" * 37]
murmur = [
    {"key": key, "seed": seed, "signed": int(murmurhash3_32(key, seed=seed)), "positive": int(murmurhash3_32(key, seed=seed, positive=True))}
    for key in murmur_keys
    for seed in (0, 42, 2**31 + 5)
]

# Numeric frame with missing values, a constant and a near-constant column.
n = 40
num = {
    "temp": np.round(rng.normal(20, 5, n), 3),
    "pressure": np.round(rng.normal(1000, 30, n), 2),
    "flow": rng.integers(0, 5, n).astype(float),
    "const": np.full(n, 3.7),
    "tiny": np.full(n, 0.1) + np.array([0, 1e-17] * (n // 2)),
}
for col, share in (("temp", 0.1), ("pressure", 0.25), ("flow", 0.15)):
    num[col][rng.random(n) < share] = np.nan
num_test = {c: np.round(rng.normal(float(np.nanmean(v)), 3, 8), 2) for c, v in num.items()}
num_test["temp"][2] = np.nan
X = np.column_stack([num[c] for c in num])
Xt = np.column_stack([num_test[c] for c in num])
imputers = []
for strategy in ("mean", "median", "most_frequent", "constant"):
    kw = {"strategy": strategy}
    if strategy == "constant":
        kw["fill_value"] = -1.5
    imp = SimpleImputer(**kw).fit(X)
    imputers.append({
        "strategy": strategy,
        "fillValue": kw.get("fill_value"),
        "statistics": flist(imp.statistics_),
        "test": [flist(imp.transform(Xt)[:, j]) for j in range(X.shape[1])],
    })
cities = ["paris", "lyon", "nice", "lyon", None, "paris", "lyon", "nice", None, "lyon", "brest", "paris"]
cat_arr = np.array([c if c is not None else np.nan for c in cities], dtype=object).reshape(-1, 1)
string_imputer = {
    "most_frequent": SimpleImputer(strategy="most_frequent").fit(cat_arr).statistics_.tolist(),
    "constant": SimpleImputer(strategy="constant").fit(cat_arr).statistics_.tolist(),
}
sc = StandardScaler().fit(X)
scaler = {
    "mean": flist(sc.mean_),
    "scale": flist(sc.scale_),
    "test": [flist(sc.transform(Xt)[:, j]) for j in range(X.shape[1])],
}

colours = [str(c) for c in rng.choice(["red", "green", "blue", "black", "white", "grey"], 50, p=[0.3, 0.25, 0.2, 0.15, 0.06, 0.04])]
colours_test = ["blue", "purple", "white", "red", "grey"]
onehot = []
for name, kw, ts in (
    ("ignore unknown", {"handle_unknown": "ignore"}, {"handleUnknown": "ignore"}),
    ("minFrequency 5 + infrequent_if_exist", {"handle_unknown": "infrequent_if_exist", "min_frequency": 5},
     {"handleUnknown": "infrequent_if_exist", "minFrequency": 5}),
    ("maxCategories 3, ignore", {"handle_unknown": "ignore", "max_categories": 3}, {"handleUnknown": "ignore", "maxCategories": 3}),
    ("minFrequency share 0.1", {"handle_unknown": "infrequent_if_exist", "min_frequency": 0.1},
     {"handleUnknown": "infrequent_if_exist", "minFrequency": 0.1}),
):
    enc = OneHotEncoder(sparse_output=False, **kw).fit(np.array(colours, dtype=object).reshape(-1, 1))
    names = [s.replace("x0_", "colour_").replace("_infrequent_sklearn", "_infrequent") for s in enc.get_feature_names_out()]
    onehot.append({
        "name": name,
        "options": ts,
        "columns": names,
        "test": enc.transform(np.array(colours_test, dtype=object).reshape(-1, 1)).tolist(),
    })

meta = {"generator": "packages/core/scripts/gen-metric-fixtures.py", "sklearn": sklearn.__version__, "numpy": np.__version__}
with open(os.path.join(OUT, "metrics.json"), "w") as fh:
    json.dump({"meta": meta, "classification": classification, "ranking": ranking, "multiclass": multiclass}, fh, indent=1)
    fh.write("\n")
with open(os.path.join(OUT, "preprocessing.json"), "w") as fh:
    json.dump({
        "meta": meta,
        "tickets": tickets,
        "ticketsTest": tickets_test,
        "tfidf": tfidf,
        "hashing": hashing,
        "murmur": murmur,
        "numeric": {"columns": list(num.keys()), "train": [flist(num[c]) for c in num], "test": [flist(num_test[c]) for c in num]},
        "imputer": imputers,
        "stringImputer": {"values": cities, **string_imputer},
        "scaler": scaler,
        "oneHot": {"train": colours, "test": colours_test, "cases": onehot},
    }, fh, indent=1, ensure_ascii=False)
    fh.write("\n")
print("wrote", OUT)
