#!/usr/bin/python3
"""(c) of bench/compare_generation.py: the reference generation algorithm in PyTorch.

Start from an all-zero frame, run the network (bidirectional, as the reference trained it) 249
times on the growing prefix, take the last output each time (SPEC §6). Prints one JSON line.

  reference_generate.py --model small.safetensors [--frames 250] [--threads 1] [--repeat 1]

Threads: torch.set_num_threads(N) here; OpenBLAS reads OPENBLAS_NUM_THREADS when torch is imported,
so the driver sets it in the environment (reported back as "blas_threads").
"""
import argparse
import json
import math
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import reference_model  # noqa: E402
import torch  # noqa: E402


def text_embedding(dim):  # the same deterministic unit vector as bench_generate.cpp
    t = [math.sin(0.37 * i + 1.0) for i in range(dim)]
    n = math.sqrt(sum(v * v for v in t))
    return torch.tensor([[v / n for v in t]], dtype=torch.float32)


def generate(model, text, frames, input_dim):
    clip = torch.zeros(1, 1, input_dim)
    for _ in range(frames - 1):
        last = model(clip, text)["pose"][-1:]
        clip = torch.cat([clip, last], dim=0)
    return float(clip[-1].sum())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--frames", type=int, default=250)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeat", type=int, default=1)
    a = p.parse_args()
    start = time.perf_counter()
    torch.set_num_threads(a.threads)
    model, config = reference_model.load_model(a.model, "bidirectional")
    text = text_embedding(config["embedding_dim"])
    load_ms = (time.perf_counter() - start) * 1e3
    walls, cpus, checksum = [], [], 0.0
    with torch.no_grad():
        for _ in range(a.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            checksum = generate(model, text, a.frames, config["input_dim"])
            walls.append((time.perf_counter() - t0) * 1e3)
            cpus.append((time.process_time() - c0) * 1e3)
    print(json.dumps({
        "impl": "reference", "torch_threads": a.threads,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"), "frames": a.frames,
        "load_ms": round(load_ms, 2), "generate_ms_min": round(min(walls), 2),
        "generate_ms_median": round(sorted(walls)[len(walls) // 2], 2), "generate_cpu_ms_min": round(min(cpus), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "checksum": round(checksum, 6)}))


if __name__ == "__main__":
    main()
