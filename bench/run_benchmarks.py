#!/usr/bin/python3
"""The performance numbers of MODEL_CARD.md, measured in one run, written as one JSON document.

  bench/run_benchmarks.py --model models/small.safetensors [--build build] [--repeat 20]
                          [--training-steps 6] [-o bench.json]

Sections (stickgen model-card reads exactly these):
  generate_clip         end-to-end generation (bench_generate_clip: plan -> actions + text
                        embedding -> KV-cached decoding -> reconciled skeleton, root motion) of a
                        10 s prompt, threads 1 and 2 x batch 1 and 8 (actors decoded together):
                        median and p95 latency, clips/s and frames/s.
  reference_comparison  raw decoding of a 250-frame clip with our runtime (bench/bench_generate,
                        the runtime engineer's (a)) against the reference algorithm in PyTorch
                        (bench/reference_generate.py, (c): the growing prefix recomputed 249 times,
                        bidirectional), threads 1 and 2; for the reference at 2 threads both
                        (torch 2, OpenBLAS 1) and (torch 1, OpenBLAS 2) are run and the faster
                        counts, as in bench/compare_generation.py. Ratios on wall and CPU time.
  training              bench/compare_training.sh (stickgen-train step vs the same step in PyTorch).

Needs: ninja -C <build> stickgen stickgen-train bench_generate bench_generate_clip; Debian's
/usr/bin/python3 with torch for the reference and the PyTorch training step.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"


def run_json(cmd, env=None):
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run(cmd, env=e, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"run_benchmarks: {' '.join(cmd)} failed:\n{r.stderr.strip()}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def cpu_name():
    try:
        return next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--prompt", default="a person walks then waves")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--training-steps", type=int, default=6)
    p.add_argument("-o", "--output", default="bench.json")
    a = p.parse_args()
    clip_bench = os.path.join(a.build, "bench", "bench_generate_clip")
    raw_bench = os.path.join(a.build, "bench", "bench_generate")
    for path in (clip_bench, raw_bench):
        if not os.path.exists(path):
            sys.exit(f"run_benchmarks: {path} is missing (ninja -C {a.build} bench_generate bench_generate_clip)")
    one = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    doc = {"command": "bench/run_benchmarks.py " + " ".join(sys.argv[1:]),
           "model": a.model, "prompt": a.prompt + f" ({a.seconds:g} s)",
           "machine": {"cpu": cpu_name(), "cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}}

    rows = []
    for threads in (1, 2):
        for batch in (1, 8):
            r = run_json([clip_bench, "--model", a.model, "--prompt", a.prompt, "--seconds", str(a.seconds),
                          "--threads", str(threads), "--batch", str(batch), "--repeat", str(a.repeat)], one)
            rows.append(r)
            print(f"generate_clip threads {threads} batch {batch}: median {r['median_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, "
                  f"{r['frames_per_s']:.0f} frames/s", file=sys.stderr)
    doc["generate_clip"] = rows
    doc["machine"]["kernel"] = rows[0]["kernel"]

    comparison = []
    ref = os.path.join(ROOT, "bench", "reference_generate.py")
    for threads in (1, 2):
        ours = run_json([raw_bench, "--model", a.model, "--threads", str(threads), "--repeat", "5"], one)
        settings = [(1, 1)] if threads == 1 else [(threads, 1), (1, threads)]  # (torch, OpenBLAS)
        refs = [dict(run_json([PY, ref, "--model", a.model, "--threads", str(tt)],
                              {"OMP_NUM_THREADS": str(tt), "OPENBLAS_NUM_THREADS": str(bt)}), blas=bt) for tt, bt in settings]
        best = min(refs, key=lambda r: r["generate_ms_min"])
        row = {"threads": threads, "frames": ours["frames"], "ours_ms": ours["generate_ms_min"],
               "ours_cpu_ms": ours["generate_cpu_ms_min"], "reference_ms": best["generate_ms_min"],
               "reference_cpu_ms": best["generate_cpu_ms_min"],
               "reference_setting": f"torch {best['torch_threads']}, OpenBLAS {best['blas']}",
               "ratio_wall": best["generate_ms_min"] / ours["generate_ms_min"],
               "ratio_cpu": best["generate_cpu_ms_min"] / ours["generate_cpu_ms_min"]}
        comparison.append(row)
        print(f"reference comparison, {threads} thread(s): ours {row['ours_ms']:.1f} ms, reference {row['reference_ms']:.0f} ms "
              f"({row['ratio_wall']:.0f}x)", file=sys.stderr)
    doc["reference_comparison"] = comparison

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "training.json")
        r = subprocess.run([os.path.join(ROOT, "bench", "compare_training.sh"), "--build", a.build, "--threads", "2",
                            "--steps", str(a.training_steps), "-o", out], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"run_benchmarks: compare_training.sh failed:\n{r.stderr.strip()}")
        print(r.stdout.strip(), file=sys.stderr)
        doc["training"] = json.load(open(out))
    doc["machine"]["load_after"] = os.getloadavg()[0]
    with open(a.output, "w") as f:
        json.dump(doc, f, indent=2)
    print(f"wrote {a.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
