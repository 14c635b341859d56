"""A small, dependency-free training script: ridge regression by gradient descent.

Run it under gx: ``gx run train.py -p alpha=0.05 -p l2=0.01``. It reads its params with
``gx.params()``, logs the training loss and validation RMSE per epoch, and writes metrics.json.
"""

import json
import math
import random

import gx

defaults = {"alpha": 0.05, "l2": 0.0, "epochs": 30, "seed": 0}
params = {**defaults, **gx.params()}
gx.log_params({k: v for k, v in params.items() if k not in gx.params()})

rng = random.Random(int(params["seed"]))
true_w = [2.0, -3.0, 0.5, 1.5]


def sample(n):
    rows = []
    for _ in range(n):
        x = [rng.uniform(-1, 1) for _ in true_w]
        y = sum(w * xi for w, xi in zip(true_w, x)) + rng.gauss(0, 0.3)
        rows.append((x, y))
    return rows


train, valid = sample(400), sample(100)
w = [0.0] * len(true_w)
alpha, l2 = float(params["alpha"]), float(params["l2"])


def rmse(rows):
    return math.sqrt(sum((sum(wi * xi for wi, xi in zip(w, x)) - y) ** 2 for x, y in rows) / len(rows))


for epoch in range(int(params["epochs"])):
    grad = [0.0] * len(w)
    for x, y in train:
        err = sum(wi * xi for wi, xi in zip(w, x)) - y
        for i, xi in enumerate(x):
            grad[i] += err * xi / len(train)
    w = [wi - alpha * (gi + l2 * wi) for wi, gi in zip(w, grad)]
    gx.log_metrics({"train_rmse": rmse(train), "rmse": rmse(valid)}, step=epoch)

final = rmse(valid)
print(f"alpha={alpha} l2={l2}: validation rmse {final:.4f}")
with open("metrics.json", "w") as fh:
    json.dump({"rmse": final}, fh)
