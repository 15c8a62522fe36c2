#!/usr/bin/env bash
# Regenerates the model that ships in models/ (pump-state.onnx, .json sidecar, .report.json), no broker needed:
#   training simulator --stdout → pnpm export-training-data --source jsonl (features, balanced CSV
#   data/pump-state-training.csv) → pnpm train.
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
CSV=data/pump-state-training.csv

# The export writes the CSV under a temporary name and renames it only when it is complete.
pnpm --silent training-simulator --stdout --pumps "$PUMPS" --seed "$SEED" \
  --mode stress --lifecycles 3 --chaos \
  --log-level warn \
  | pnpm --silent export-training-data --source jsonl --input - --seed "$SEED" --out "$CSV" --log-level warn

# 100 trees with at least 5 rows per leaf: ~5 MB, held-out macro-F1 within 0.2 points of fully grown
# trees; see services/trainer/README.md for the measurements.
pnpm --silent train --data "$CSV" --trees 100 --min-samples-leaf 5 --seed 1 --out models/pump-state.onnx
