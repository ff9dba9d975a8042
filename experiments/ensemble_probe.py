"""Probe for issue 6: average the stance and sentiment probabilities of `hybrid` and `finetune`.

Trains both recipes once (seed 13, no tracking, about 10 minutes on 2 cores), then prints
validation and test macro-F1 for weights of `hybrid` from 0 to 1. Not part of `make experiments`:
the lead for the ensemble family (configs/ensemble.yaml), measured once.

    .venv/bin/python experiments/ensemble_probe.py
"""

import io

import numpy as np
from sklearn.metrics import f1_score

from stance.config import load_config
from stance.data import load_corpus
from stance.pipeline import Pipeline
from stance.tracking import NullTracker
from stance.train import inputs_of, labels_of, train

c = load_corpus()
probs = {}
for name in ("hybrid", "finetune"):
    cfg = load_config(f"configs/{name}.yaml", ["data.newsmtsc_eval=null"])
    train(cfg, NullTracker(), f"/tmp/stance-ensemble-probe-{name}", stdout=io.StringIO())
    p = Pipeline.load(f"/tmp/stance-ensemble-probe-{name}")
    for split in ("validation", "test"):
        probas = p.classifier.predict_proba(inputs_of(c[split], p.input_mode))
        probs[name, split] = probas, list(p.classifier.classes_[0]), list(p.classifier.classes_[1])
for split in ("validation", "test"):
    y = labels_of(c[split])
    for w in (0.0, 0.3, 0.5, 0.7, 1.0):
        out = []
        for j in range(2):
            a, ca = probs["hybrid", split][0][j], probs["hybrid", split][1 + j]
            b, cb = probs["finetune", split][0][j], probs["finetune", split][1 + j]
            b = b[:, [cb.index(k) for k in ca]]
            pred = np.array(ca)[(w * a + (1 - w) * b).argmax(1)]
            if j == 0:
                pred = np.where(np.array([r["kind"] for r in c[split]]) == "meta", "neutral", pred)
            out.append(round(f1_score(y[:, j], pred, average="macro"), 3))
        print(split, "w_hybrid", w, "stance", out[0], "sentiment", out[1], flush=True)
