#!/usr/bin/env bash
# Training throughput side by side: one optimizer step of stickgen-train (LibTorch) against the same
# step in PyTorch (bench/compare_training.py, Debian's python3-torch). Small config, batch 4 x 250
# frames, pose + temporal + physics loss (actions fed), input noise, gradient clipping, AdamW.
#
#   bench/compare_training.sh [--build DIR] [--threads N] [--steps N] [-o OUT.json]
#
# stickgen-train runs its real training loop on a synthetic dataset of 10 s clips (one actor, no
# validation split) and logs frames/s per optimizer step; the median over steps 2..N counts.
# Threads, set deliberately on both sides and reported:
#   stickgen-train --threads N  -> OpenBLAS N threads for the GEMMs, LibTorch intra-op 1
#                                  (torch_model::set_compute_threads; see docs/TRAINING.md)
#   PyTorch                     -> both settings measured, (torch 1, OpenBLAS N) and (torch N,
#                                  OpenBLAS 1); the faster counts. Never both > 1 (oversubscription).
# Prints a table and writes the JSON (the "training" section of bench/run_benchmarks.py's output).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
THREADS=2
STEPS=6
OUT=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) BUILD=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    -o|--output) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "compare_training.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
for bin in stickgen stickgen-train; do
  [[ -x $BUILD/$bin ]] || { echo "compare_training.sh: $BUILD/$bin is missing (ninja -C $BUILD stickgen stickgen-train)" >&2; exit 1; }
done
[[ $STEPS -ge 2 ]] || { echo "compare_training.sh: --steps must be at least 2" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/stickgen-train-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

"$BUILD/stickgen" data synth -q -n 8 --seconds 10 --full-share 1 --max-actors 1 --max-actions 2 -o "$TMP/data"
cat >"$TMP/small.yaml" <<EOF
model:
  preset: small
training:
  batch_size: 4
  grad_accum_steps: 1
  max_steps: $STEPS
  warmup_steps: 1
  val_every: 1000000
  val_sequences: 1
  rollout_sequences: 1
  log_every: 1
  max_frames: 250
  scheduled_sampling: 0
  action_dropout: 0
data:
  train_split: ""
  val_split: none
EOF
STICKGEN_PROGRESS=0 "$BUILD/stickgen-train" --threads "$THREADS" train --config "$TMP/small.yaml" --data "$TMP/data" \
  --output "$TMP/run" >"$TMP/train.log" 2>&1 || { cat "$TMP/train.log" >&2; exit 1; }

# Both sides use the same OpenBLAS kernels: stickgen-train re-runs itself with OPENBLAS_CORETYPE set when
# OpenBLAS does not know the CPU (torch_model::use_blas_kernels_for_this_cpu), so PyTorch gets the same.
KERNELS=$(sed -n 's/.*OpenBLAS kernels \([A-Za-z0-9]*\).*/\1/p' "$TMP/train.log" | head -n 1)
[[ -n $KERNELS ]] && export OPENBLAS_CORETYPE=$KERNELS
py_runs=()
OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=1 /usr/bin/python3 "$ROOT/bench/compare_training.py" --steps "$STEPS" \
  --torch-threads 1 >"$TMP/py1.json"
py_runs+=("$TMP/py1.json")
if [[ $THREADS -gt 1 ]]; then
  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=$THREADS /usr/bin/python3 "$ROOT/bench/compare_training.py" --steps "$STEPS" \
    --torch-threads "$THREADS" >"$TMP/py2.json"
  py_runs+=("$TMP/py2.json")
fi

/usr/bin/python3 - "$TMP/run/log.jsonl" "$THREADS" "$STEPS" "$OUT" "${KERNELS:-unknown}" "${py_runs[@]}" <<'PY'
import json, statistics, sys
log, threads, steps, out, kernels, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6:]
rates = [json.loads(l)["frames_per_s"] for l in open(log) if '"frames_per_s"' in l]
rates = [r for i, r in enumerate(rates) if i > 0] or rates          # step 1 warms up
ours = statistics.median(rates)
frames_per_step = 4 * 249
py = [json.loads(open(r).read().strip().splitlines()[-1]) for r in runs]
best = max(py, key=lambda r: r["frames_per_s"])
doc = {
    "batch": 4, "frames": 250, "steps": steps, "config": "small (d 256, 6 layers, causal), AdamW, clip 1.0",
    "stickgen_threads": f"OpenBLAS {threads}, LibTorch intra-op 1 (stickgen-train --threads {threads})",
    "stickgen_frames_per_s": ours, "stickgen_ms_per_step": frames_per_step / ours * 1e3,
    "pytorch_version": best["torch_version"],
    "pytorch_threads": f"torch {best['torch_threads']}, OpenBLAS {best['blas_threads']} (faster of the settings measured)",
    "pytorch_frames_per_s": best["frames_per_s"], "pytorch_ms_per_step": best["ms_per_step"],
    "pytorch_settings": [{k: r[k] for k in ("torch_threads", "blas_threads", "frames_per_s", "ms_per_step")} for r in py],
    "ratio": ours / best["frames_per_s"],
    "openblas_kernels": kernels,
}
print(f"training step, small config, batch 4 x 250 frames ({steps} steps, median of steps 2..{steps}; "
      f"OpenBLAS kernels {kernels} on both sides):")
print(f"  stickgen-train  {doc['stickgen_threads']:55} {ours:8.0f} frames/s {doc['stickgen_ms_per_step']:7.0f} ms/step")
for r in py:
    print(f"  PyTorch {r['torch_version']:8} torch {r['torch_threads']}, OpenBLAS {r['blas_threads']:<36} "
          f"{r['frames_per_s']:8.0f} frames/s {r['ms_per_step']:7.0f} ms/step")
print(f"  ratio stickgen / PyTorch (its faster setting): {doc['ratio']:.2f}x")
if out:
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
PY
