"""scikit-learn baseline of the IT-tickets topic model (read by examples/it-tickets/src/compare-sklearn.ts).

Usage: it_tickets_sklearn.py SPLIT_JSON C [C ...]
SPLIT_JSON holds the validated texts, labels, the train/test indices of the example's stratified split and its
TF-IDF settings. Prints a JSON list with macro-F1, accuracy and fit time per C.
"""
import json
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

data = json.load(open(sys.argv[1]))
texts, labels = data["texts"], data["labels"]
train, test = data["train"], data["test"]
t = data["tfidf"]
out = []
for c in sys.argv[2:]:
    C = float(c)
    start = time.perf_counter()
    vec = TfidfVectorizer(
        ngram_range=tuple(t["ngramRange"]), min_df=t["minDf"], max_df=t["maxDf"], sublinear_tf=t["sublinearTf"]
    )
    x_train = vec.fit_transform([texts[i] for i in train])
    clf = LogisticRegression(C=C, max_iter=1000).fit(x_train, [labels[i] for i in train])
    fit_seconds = time.perf_counter() - start
    pred = clf.predict(vec.transform([texts[i] for i in test]))
    truth = [labels[i] for i in test]
    out.append(
        {
            "C": C if C != int(C) else int(C),
            "accuracy": accuracy_score(truth, pred),
            "macro_f1": f1_score(truth, pred, average="macro"),
            "fit_seconds": fit_seconds,
        }
    )
print(json.dumps(out))
