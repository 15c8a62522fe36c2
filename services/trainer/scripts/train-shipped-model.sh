#!/usr/bin/env bash
# Regenerates the models that ship in models/, no broker needed: the state classifier (pump-state.onnx) and the
# remaining-useful-life regressor (pump-rul.onnx), each with its .json sidecar and .report.json:
#   training simulator --stdout → data/shipped-lifecycles.jsonl → pnpm export-training-data --source jsonl
#   (features; a CSV balanced by state for the classifier, every row for the regressor) → pnpm train.
#
#   services/trainer/scripts/train-shipped-model.sh
#
# The clock is the production simulator's STRESS mode (--mode stress), the live quality target: one sample
# a second and a mean life of 150 s (Weibull β = 2, η = 150 s / Γ(1.5) = 0.04702 h), 15 BROKEN samples after
# failure like its 15 s repair downtime. Each pump runs three lifecycles with repairs in between, so the model
# sees a window that still holds the broken pump's last readings after a repair; and chaos is on, so it
# learns that a glitch, a heatwave or a frozen sensor is not a failure. 400 pumps give ~196,000 samples.
set -euo pipefail
cd "$(dirname "$0")/../../.."

PUMPS=400
SEED=2026
LIFECYCLES=data/shipped-lifecycles.jsonl
CSV=data/pump-state-training.csv
RUL_CSV=data/pump-rul-training.csv

mkdir -p data
pnpm --silent training-simulator --stdout --pumps "$PUMPS" --seed "$SEED" \
  --mode stress --lifecycles 3 --chaos \
  --log-level warn > "$LIFECYCLES.part"
mv "$LIFECYCLES.part" "$LIFECYCLES"
# The export writes each CSV under a temporary name and renames it only when it is complete.
pnpm --silent export-training-data --source jsonl --input "$LIFECYCLES" --seed "$SEED" --out "$CSV" --log-level warn
# Every row for the regressor: balancing by state would make a life's last minutes as common as the rest of
# it, and the model would learn that every pump is about to break.
pnpm --silent export-training-data --source jsonl --input "$LIFECYCLES" --seed "$SEED" --balance none \
  --out "$RUL_CSV" --log-level warn

# 100 trees with at least 5 rows per leaf: ~5 MB, held-out macro-F1 within 0.2 points of fully grown
# trees; see services/trainer/README.md for the measurements.
pnpm --silent train --data "$CSV" --trees 100 --min-samples-leaf 5 --seed 1 --out models/pump-state.onnx

# The RUL regressor on the true rul_h, unclipped, so that its live error against the ground truth is the
# error a planner sees. At least 100 rows per leaf: 3.4 MB, and held-out RMSE 0.01434 h against 0.01446 h
# with 10 rows per leaf (33.6 MB): the target is noisy, and larger leaves average it better.
pnpm --silent train --data "$RUL_CSV" --task regression --label rul_h --trees 100 --min-samples-leaf 100 \
  --seed 1 --out models/pump-rul.onnx
