#!/usr/bin/env python3
"""scikit-learn baseline for @pdm/forest: StandardScaler + RandomForestClassifier(n_jobs=1) on a given split,
or RandomForestRegressor(n_jobs=1) with --task regression.

Data, one of:
  --npy DIR                 x_train.npy, y_train.npy, x_test.npy, y_test.npy (what compare-sklearn.ts writes)
  --train A.csv --test B.csv  header row, numeric feature columns, label in the last column
  --dataset NAME            a dataset bundled with scikit-learn (breast_cancer, wine, iris, digits),
                            split here with a stratified train_test_split

Prints accuracy (a regressor: RMSE, MAE, R²) and fit time; with --json one JSON object on stdout (what the
TypeScript side parses).
"""
import argparse
import json
import resource
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def load(args):
    if args.npy:
        d = args.npy
        return (np.load(f"{d}/x_train.npy"), np.load(f"{d}/y_train.npy"),
                np.load(f"{d}/x_test.npy"), np.load(f"{d}/y_test.npy"))
    if args.train and args.test:
        def read(path):
            raw = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=str)
            return raw[:, :-1].astype(np.float64), raw[:, -1]
        return (*read(args.train), *read(args.test))
    if args.dataset:
        from sklearn import datasets
        from sklearn.model_selection import train_test_split
        x, y = getattr(datasets, f"load_{args.dataset}")(return_X_y=True)
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=args.test_fraction, random_state=args.split_seed, stratify=y)
        return x_train, y_train, x_test, y_test
    sys.exit("give --npy DIR, --train/--test CSV files, or --dataset NAME")


def max_features(value):
    if value in ("sqrt", "log2"):
        return value
    if value == "all":
        return None
    number = float(value)
    return number if number < 1 else int(number)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--npy")
    p.add_argument("--train")
    p.add_argument("--test")
    p.add_argument("--dataset")
    p.add_argument("--test-fraction", type=float, default=0.25)
    p.add_argument("--split-seed", type=int, default=0)
    p.add_argument("--n-estimators", type=int, default=100)
    p.add_argument("--max-depth", type=int, default=None)
    p.add_argument("--min-samples-split", type=int, default=2)
    p.add_argument("--min-samples-leaf", type=int, default=1)
    p.add_argument("--max-features", default="sqrt")
    p.add_argument("--no-bootstrap", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--task", choices=["classification", "regression"], default="classification")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()

    x_train, y_train, x_test, y_test = load(args)
    forest_class = RandomForestRegressor if args.task == "regression" else RandomForestClassifier
    model = make_pipeline(StandardScaler(), forest_class(
        n_estimators=args.n_estimators, max_depth=args.max_depth, min_samples_split=args.min_samples_split,
        min_samples_leaf=args.min_samples_leaf, max_features=max_features(args.max_features),
        bootstrap=not args.no_bootstrap, random_state=args.seed, n_jobs=1))
    start = time.perf_counter()
    model.fit(x_train, y_train)
    fit_seconds = time.perf_counter() - start
    predicted = model.predict(x_test)
    forest = model[-1]
    if args.task == "regression":
        error = predicted - y_test
        scores = {
            "rmse": float(np.sqrt(np.mean(error ** 2))),
            "mae": float(np.mean(np.abs(error))),
            "r2": float(1 - np.sum(error ** 2) / np.sum((y_test - np.mean(y_test)) ** 2)),
        }
    else:
        scores = {"accuracy": float(np.mean(predicted == y_test))}
    result = {
        **scores,
        "fitSeconds": fit_seconds,
        "nodes": int(sum(t.tree_.node_count for t in forest.estimators_)),
        "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "sklearnVersion": __import__("sklearn").__version__,
    }
    if args.json:
        print(json.dumps(result))
    else:
        score = " ".join(f"{k} {v:.4f}" for k, v in scores.items())
        print(f"{score}  fit {fit_seconds:.2f} s  nodes {result['nodes']}  "
              f"peak RSS {result['peakRssMb']:.0f} MB")


if __name__ == "__main__":
    main()
