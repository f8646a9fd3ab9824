#!/usr/bin/python3
"""Side-by-side generation benchmark (issue 8 §6), all in one run, one table.

A 250-frame clip with the small model (random weights, seed 0; the zero start frame + 249
generated frames, each output pose fed back as the next input), batch 1, 1 and 2 threads:

  (a)  our runtime, KV cache                      build/bench/bench_generate          (fp32 file)
  (a') our runtime, KV cache, fp16 file in place  build/bench/bench_generate          (fp16 file)
  (b)  LibTorch (src/torch/model), KV cache       torch-build/bench/torch_bench_generate_torch
  (c)  the reference algorithm in PyTorch:        bench/reference_generate.py
       the growing prefix recomputed 249 times, bidirectional

plus the startup time of `stickgen forward` on one frame (process start to exit: load the model,
run the text token and one frame, write the file), `stickgen generate` end to end (a 0.5 s and a
10 s clip to .motion), and the peak RSS of a 250-frame generation.

  bench/compare_generation.py [--build build-runtime] [--torch-build build-runtime-torch]
                              [--repeat 5] [--threads 1,2] [--frames 250]

Needs: ninja -C <build> bench_generate stickgen; ninja -C <torch-build> torch_bench_generate_torch
(skipped with a note when missing). Times are the minimum over repeats; "CPU" is process CPU
time (all threads), which on a shared machine is steadier than wall time. Ratios are computed on
both. Thread settings are explicit and printed: torch intra-op threads, OpenBLAS threads
(OPENBLAS_NUM_THREADS and openblas_set_num_threads), our runtime's team size.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"


def run_json(cmd, env=None):
    e = dict(os.environ)
    e.update(env or {})
    out = subprocess.run(cmd, env=e, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def timed_process(cmd, env=None, repeat=3):
    """-> (min wall ms of the whole process, max RSS MB) via /usr/bin/time."""
    e = dict(os.environ)
    e.update(env or {})
    best, rss = float("inf"), 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, env=e, check=True, capture_output=True, text=True)
        best = min(best, (time.perf_counter() - t0) * 1e3)
        rss = max(rss, int(r.stderr.strip().splitlines()[-1]) / 1024)
    return best, rss


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build-runtime"))
    p.add_argument("--torch-build", default=os.path.join(ROOT, "build-runtime-torch"))
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--frames", type=int, default=250)
    a = p.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    ours = os.path.join(a.build, "bench", "bench_generate")
    cli = os.path.join(a.build, "stickgen")
    torch_bench = os.path.join(a.torch_build, "bench", "torch_bench_generate_torch")
    for path in (ours, cli):
        if not os.path.exists(path):
            sys.exit(f"compare_generation: {path} is missing (ninja -C {a.build} bench_generate stickgen)")
    have_torch = os.path.exists(torch_bench)
    tmp = tempfile.mkdtemp(prefix="stickgen-bench-")
    f32, f16 = os.path.join(tmp, "small.safetensors"), os.path.join(tmp, "small_f16.safetensors")
    ref = os.path.join(ROOT, "scripts", "reference_model.py")
    # hashed-v1 text encoder and identity normalisation: lets `stickgen generate` run these weights
    common = ["save", "--preset", "small", "--seed", "0", "--text-encoder", "hashed-v1-1024", "--identity-normalization"]
    subprocess.run([PY, ref] + common + ["--out", f32], check=True)
    subprocess.run([PY, ref] + common + ["--dtype", "f16", "--out", f16], check=True)
    load_before = os.getloadavg()[0]
    frames = ["--frames", str(a.frames)]

    rows = {}  # (label, threads) -> result
    for t in threads:
        one = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        rows[("a", t)] = run_json([ours, "--model", f32, "--threads", str(t), "--repeat", str(a.repeat)] + frames, one)
        rows[("a16", t)] = run_json([ours, "--model", f16, "--threads", str(t), "--repeat", str(a.repeat)] + frames, one)
        # LibTorch / PyTorch: with t threads, give them to OpenBLAS (the matmuls) or to torch's
        # intra-op pool; both measured, the faster one counts. Never both (oversubscription).
        settings = [(1, 1)] if t == 1 else [(1, t), (t, 1)]  # (torch threads, BLAS threads)
        for tt, bt in settings:
            env = {"OMP_NUM_THREADS": str(tt), "OPENBLAS_NUM_THREADS": str(bt)}
            if have_torch:
                rows[("b", t, tt, bt)] = run_json([torch_bench, "--model", f32, "--repeat", str(max(2, a.repeat // 2)),
                                                   "--torch-threads", str(tt), "--blas-threads", str(bt)] + frames, env)
            rows[("c", t, tt, bt)] = run_json([PY, os.path.join(ROOT, "bench", "reference_generate.py"), "--model", f32,
                                               "--threads", str(tt)] + frames, env)

    # startup: `stickgen forward` on one frame, the whole process; peak RSS of a 250-frame run
    one_frame = os.path.join(tmp, "one_frame.safetensors")
    subprocess.run([PY, ref, "make-inputs", "--model", f32, "--frames", "1", "--batch", "1", "--out", one_frame],
                   check=True)
    startup = {}
    for name, model in (("fp32", f32), ("fp16", f16)):
        startup[name] = timed_process([cli, "forward", "-q", "--model", model, "--inputs", one_frame, "-o",
                                       os.path.join(tmp, "o.safetensors")], repeat=5)
    gen_rss = {name: timed_process([ours, "--model", model, "--repeat", "1"] + frames, repeat=1)[1]
               for name, model in (("fp32", f32), ("fp16", f16))}
    # the product path end to end: prompt -> plan -> decode -> reconcile -> .motion file
    generate = {}
    for name, model in (("fp32", f32), ("fp16", f16)):
        for seconds in ("0.5", str(a.frames / 25)):
            generate[(name, seconds)] = timed_process(
                [cli, "generate", "a person walks", "-q", "--model", model, "--seconds", seconds, "-o",
                 os.path.join(tmp, "g.motion")], repeat=3)
    torch_startup = timed_process([torch_bench, "--model", f32, "--frames", "2", "--repeat", "1"],
                                  {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}, repeat=3) if have_torch else None
    load_after = os.getloadavg()[0]

    # ---- the table
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print()
    print(f"stickgen generation benchmark: small model (d 256, 6 layers, 7,248,894 parameters), random weights "
          f"(seed 0), {a.frames}-frame clip (zero frame + {a.frames - 1} generated), batch 1")
    print(f"machine: {cpu}, {os.cpu_count()} CPUs; load average {load_before:.1f} before, {load_after:.1f} after; "
          f"runtime kernel {rows[('a', threads[0])]['kernel']}")
    print(f"command: bench/compare_generation.py --repeat {a.repeat} --threads {a.threads} --frames {a.frames}")
    print()
    hdr = f"{'':4} {'implementation':58} {'threads':>7} {'wall ms':>9} {'CPU ms':>9} {'peak RSS':>9}"
    print(hdr)
    print("-" * len(hdr))

    def line(tag, label, t, r):
        print(f"{tag:4} {label:58} {t:>7} {r['generate_ms_min']:9.1f} {r['generate_cpu_ms_min']:9.1f} "
              f"{r['peak_rss_mb']:7.1f} MB")

    best = {}
    for t in threads:
        line("(a)", "runtime, KV cache, fp32 weights (mmap)", t, rows[("a", t)])
        line("(a')", "runtime, KV cache, fp16 weights in place (F16C)", t, rows[("a16", t)])
        for key, r in rows.items():
            if key[0] == "b" and key[1] == t:
                line("(b)", f"LibTorch, KV cache (torch threads {key[2]}, OpenBLAS {key[3]})", t, r)
        for key, r in rows.items():
            if key[0] == "c" and key[1] == t:
                line("(c)", f"reference: prefix x{a.frames - 1}, PyTorch (torch {key[2]}, OpenBLAS {key[3]})", t, r)
        for impl in ("b", "c"):
            cands = [r for k, r in rows.items() if k[0] == impl and k[1] == t]
            if cands:
                best[(impl, t)] = min(cands, key=lambda r: r["generate_ms_min"])
    print()
    print("ratios (the other implementation's time / ours; (b) and (c) at their faster thread setting):")
    for t in threads:
        for ours_key, name in (("a", "(a) fp32"), ("a16", "(a') fp16")):
            o = rows[(ours_key, t)]
            parts = []
            for impl in ("c", "b"):
                if (impl, t) in best:
                    r = best[(impl, t)]
                    parts.append(f"{impl}/{name.split()[0].strip('()')}: {r['generate_ms_min'] / o['generate_ms_min']:6.1f}x wall"
                                 f" {r['generate_cpu_ms_min'] / o['generate_cpu_ms_min']:6.1f}x CPU")
            print(f"  {t} thread(s), {name:9}  " + "   ".join(parts))
    print()
    print("startup (`stickgen forward` on one frame, whole process: load model + text token + 1 frame + write):")
    for name, (ms, rss) in startup.items():
        print(f"  {name} model file: {ms:7.1f} ms wall, peak RSS {rss:.1f} MB")
    a1 = rows[("a", threads[0])]
    print(f"  inside bench_generate: model loaded {a1['load_ms']:.1f} ms, first frame {a1['first_frame_ms']:.1f} ms "
          f"after main()")
    if torch_startup:
        print(f"  LibTorch (torch_bench_generate_torch, 1 frame, whole process): {torch_startup[0]:.1f} ms, "
              f"peak RSS {torch_startup[1]:.1f} MB")
    print("`stickgen generate \"a person walks\" -o g.motion` (whole process, one actor, 25 fps):")
    for (name, seconds), (ms, rss) in generate.items():
        print(f"  {name} model file, {seconds:>4} s clip: {ms:7.1f} ms wall, peak RSS {rss:.1f} MB")
    print(f"peak RSS of a {a.frames}-frame generation with our runtime (/usr/bin/time): "
          f"fp32 file {gen_rss['fp32']:.1f} MB, fp16 file {gen_rss['fp16']:.1f} MB")
    print("checksums (sum of the last pose; (a) and (b) run the same causal network, (c) runs it bidirectionally):")
    names = {"a": "(a)", "a16": "(a')", "b": "(b)", "c": "(c)"}
    print("  " + ", ".join(f"{names[k[0]]} {k[1]} thr{'' if len(k) < 3 else f' t{k[2]}/b{k[3]}'}: {r['checksum']:.4f}"
                           for k, r in rows.items()))


if __name__ == "__main__":
    main()
