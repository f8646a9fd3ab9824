#!/usr/bin/python3
"""Fixtures for tests/torch/test_model.cpp, all written in one Python process (torch imports are slow).

For each preset P in tiny, small (seeded, norms/biases perturbed so nothing is trivially 1 or 0):
  P_ref.safetensors       the oracle's own model file (scripts/reference_model.py writer)
  P.bin                   torch.save(state_dict())  -- what pytorch_model.bin is
  P_in.safetensors        inputs: motion, text_embedding, actions, camera, partner (T=12, B=2)
  P_out_causal.safetensors, P_out_bidirectional.safetensors   every head from the oracle
For tiny only, checkpoint variants the converter must accept or refuse:
  tiny_wrapper.pth        {'model_state_dict', 'optimizer_state_dict', 'scheduler_state_dict', 'epoch', ...}
  tiny_dp.bin             keys prefixed 'module.' (DataParallel)
  lora/adapter_model.bin  PEFT-style LoRA (base_model.model. prefix, lora_A.default.weight), alpha 8 recorded
                          in lora/adapter_config.json; folding it gives back tiny's weights exactly
  tiny_lora_raw.bin       LoRA with bare X.lora_A / X.lora_B and no alpha recorded (needs --lora-alpha 8)
  tiny_missing.bin, tiny_extra.bin, tiny_badshape.bin, tiny_evil.bin   refused
  dataset.pt              a reference dataset (list of dicts)
Usage: make_checkpoints.py OUT_DIR
"""
import collections
import json
import os
import sys
import zipfile

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import reference_model as rm  # noqa: E402


def build(preset, seed):
    torch.manual_seed(seed)
    model = rm.build(rm.config_for(preset, "causal"))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1:
                p.add_(0.1 * torch.randn_like(p))
    return model.eval()


def write_preset(out, preset, seed):
    model = build(preset, seed)
    config = rm.config_for(preset, "causal")
    state = model.state_dict()
    rm.save_safetensors(os.path.join(out, preset + "_ref.safetensors"), dict(state),
                        {"stickgen.format": "model", "stickgen.config": json.dumps(config)})
    torch.save(state, os.path.join(out, preset + ".bin"))
    g = torch.Generator().manual_seed(seed + 1)
    T, B = 12, 2
    x = {"motion": torch.randn(T, B, config["input_dim"], generator=g),
         "text_embedding": torch.nn.functional.normalize(torch.randn(B, config["embedding_dim"], generator=g), dim=-1),
         "actions": torch.randint(0, config["num_actions"], (T, B), generator=g),
         "camera": torch.randn(T, B, 3, generator=g),
         "partner": torch.randn(T, B, config["input_dim"], generator=g)}
    rm.save_safetensors(os.path.join(out, preset + "_in.safetensors"), x)
    for causal in (True, False):
        model.causal = causal
        with torch.no_grad():
            y = model(x["motion"], x["text_embedding"], x["actions"], x["camera"], x["partner"])
        rm.save_safetensors(os.path.join(out, "%s_out_%s.safetensors" % (preset, "causal" if causal else "bidirectional")), y)
    return model, state


def lora_state(state, targets, rank, alpha, peft):
    g = torch.Generator().manual_seed(7)
    out = collections.OrderedDict()
    for key, value in state.items():
        module, _, leaf = key.rpartition(".")
        if module not in targets:
            out[key] = value
            continue
        if leaf == "bias":
            out[module + ".base_layer.bias"] = value
            continue
        a = torch.randn(rank, value.shape[1], generator=g)
        b = torch.randn(value.shape[0], rank, generator=g) * 0.1
        scale = alpha / rank
        out[module + ".base_layer.weight"] = value - scale * (b @ a)
        suffix = ".default.weight" if peft else ""
        out[module + ".lora_A" + suffix] = a
        out[module + ".lora_B" + suffix] = b
    if peft:
        out = collections.OrderedDict(("base_model.model." + k, v) for k, v in out.items())
    return out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    tiny, state = write_preset(out, "tiny", 11)
    write_preset(out, "small", 12)

    opt = torch.optim.AdamW(tiny.parameters(), lr=1e-4, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    torch.save({"model_state_dict": state, "optimizer_state_dict": opt.state_dict(),
                "scheduler_state_dict": sched.state_dict(), "epoch": 3, "loss": 0.25},
               os.path.join(out, "tiny_wrapper.pth"))
    torch.save(collections.OrderedDict(("module." + k, v) for k, v in state.items()), os.path.join(out, "tiny_dp.bin"))

    targets = {"transformer_encoder.layers.%d.self_attn.%s" % (l, p) for l in range(2) for p in ("q_proj", "v_proj")}
    targets.add("pose_decoder.0")
    os.makedirs(os.path.join(out, "lora"), exist_ok=True)
    torch.save(lora_state(state, targets, 4, 8.0, True), os.path.join(out, "lora", "adapter_model.bin"))
    with open(os.path.join(out, "lora", "adapter_config.json"), "w") as f:
        json.dump({"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj"]}, f)
    torch.save(lora_state(state, targets, 4, 8.0, False), os.path.join(out, "tiny_lora_raw.bin"))

    missing = collections.OrderedDict(state)
    del missing["transformer_encoder.layers.1.ffn.gate_proj.weight"]
    torch.save(missing, os.path.join(out, "tiny_missing.bin"))
    extra = collections.OrderedDict(state)
    extra["final_norm.weight"] = torch.ones(32)
    torch.save(extra, os.path.join(out, "tiny_extra.bin"))
    bad = collections.OrderedDict(state)
    bad["action_predictor.3.weight"] = torch.zeros(46, 16)
    bad["action_predictor.3.bias"] = torch.zeros(46)
    torch.save(bad, os.path.join(out, "tiny_badshape.bin"))
    # A hand-built pickle that would call os.system under Python's unpickler.
    with zipfile.ZipFile(os.path.join(out, "tiny_evil.bin"), "w", zipfile.ZIP_STORED) as z:
        z.writestr("tiny_evil/data.pkl", b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.")
        z.writestr("tiny_evil/version", "3\n")

    g = torch.Generator().manual_seed(3)
    clips = []
    for i in range(3):
        T = 5 + i
        motion = torch.randn(T, 3, 20, generator=g)
        motion[:, 2] = 0           # an empty slot, zero-filled like the reference does
        if i == 1:
            motion[3:, 1] = 0      # the second actor leaves after frame 2
        clips.append({"motion": motion if i != 2 else motion[:, 0], "actions": torch.full((T,), i + 1),
                      "physics": torch.zeros(T, 6), "embedding": torch.randn(1024, generator=g),
                      "description": "clip %d" % i})
    torch.save(clips, os.path.join(out, "dataset.pt"))


if __name__ == "__main__":
    main()
