#!/usr/bin/python3
"""PyTorch side of bench/compare_training.sh: the optimizer step stickgen-train takes, in PyTorch.

Small config (SPEC §1, causal attention, dropout 0.1, training mode), batch 4 x 250 frames
(teacher forcing: inputs 0..248, targets 1..249), the objective stickgen-train computes on a batch
fed its actions (pose MSE + 0.1 temporal + 0.2 physics; no action term, as in stickgen-train when
actions are fed), input noise 0.03, backward, gradient clipping at 1.0, AdamW (lr 3e-4, betas
0.9/0.999, eps 1e-8, weight decay 0.01). Prints one JSON line.

  compare_training.py [--steps 6] [--torch-threads 1] [--batch 4] [--frames 250]

Threads: torch.set_num_threads(--torch-threads); OpenBLAS reads OPENBLAS_NUM_THREADS when torch is
imported, so the driver sets it in the environment (reported back as "blas_threads").
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import reference_model  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--torch-threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--frames", type=int, default=250)
    a = p.parse_args()
    torch.set_num_threads(a.torch_threads)
    torch.manual_seed(0)
    model = reference_model.build(reference_model.config_for("small", "causal"))
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    T, B = a.frames - 1, a.batch
    seq = torch.randn(a.frames, B, 20)
    motion_in, target = seq[:-1], seq[1:]
    physics = torch.randn(T, B, 6)
    actions = torch.randint(0, 64, (T, B))
    text = F.normalize(torch.randn(B, 1024), dim=-1)
    times = []
    for step in range(a.steps):
        t0 = time.perf_counter()
        x = motion_in + 0.03 * torch.randn_like(motion_in)
        out = model(x, text, actions=actions)
        pose = out["pose"]
        loss_pose = F.mse_loss(pose, target)
        dv_pred, dv_true = pose[1:] - pose[:-1], target[1:] - target[:-1]
        loss_temporal = F.mse_loss(dv_pred, dv_true)
        loss_physics = F.mse_loss(out["physics"], physics)
        loss = loss_pose + 0.1 * loss_temporal + 0.2 * loss_physics
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t0)
    timed = times[1:] if len(times) > 1 else times  # the first step warms up allocators
    step_s = statistics.median(timed)
    print(json.dumps({"impl": "pytorch", "torch_version": torch.__version__, "torch_threads": torch.get_num_threads(),
                      "blas_threads": int(os.environ.get("OPENBLAS_NUM_THREADS", "0") or 0), "batch": B,
                      "frames": a.frames, "steps": a.steps, "ms_per_step": step_s * 1e3,
                      "ms_per_step_min": min(timed) * 1e3, "frames_per_s": B * T / step_s,
                      "final_loss": float(loss.item())}))


if __name__ == "__main__":
    main()
