#!/usr/bin/env python3
"""Writes torch.save files covering what stickgen's restricted unpickler must read (tests and fuzz seeds).

Values are deterministic (arange-based) so the C++ tests can check them without a side file.
Usage: torch_pickle_fixtures.py OUT_DIR
"""
import collections
import os
import sys
import zipfile

import torch


def state_dict():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))
    sd = model.state_dict()  # OrderedDict with _metadata
    with torch.no_grad():
        sd["0.weight"].copy_(torch.arange(12, dtype=torch.float32).reshape(4, 3) / 8)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    sd["transposed"] = base.t()                     # non-contiguous, strides (1, 6)
    sd["sliced"] = base[1:3, 2:5]                    # offset 8, strides (6, 1), shares base's storage
    sd["base"] = base
    sd["half"] = torch.arange(5, dtype=torch.float16) / 2
    sd["bf16"] = torch.arange(5, dtype=torch.bfloat16) * 2
    sd["f64"] = torch.arange(3, dtype=torch.float64) - 1.5
    sd["i64"] = torch.tensor([-3, 0, 1 << 40], dtype=torch.int64)
    sd["i32"] = torch.tensor([-7, 7], dtype=torch.int32)
    sd["i16"] = torch.tensor([-2, 2], dtype=torch.int16)
    sd["i8"] = torch.tensor([-1, 1], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 255], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(2.5)
    sd["empty"] = torch.zeros(0, 3)
    sd["expanded"] = torch.tensor([1.0, 2.0]).expand(3, 2)  # stride 0
    return sd


def wrapper(sd):
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    model(torch.ones(1, 3)).sum().backward()
    opt.step()
    return {"model_state_dict": sd, "optimizer_state_dict": opt.state_dict(), "epoch": 7,
            "loss": 0.125, "config": {"d_model": 256, "names": ["a", "b"], "flag": True, "none": None},
            "big": 1 << 70, "neg": -5, "tuple": (1, 2.5, "x")}


def dataset():
    items = []
    for i, (t, shape) in enumerate([(4, (4, 20)), (3, (3, 3, 20)), (2, (2, 48))]):
        n = 1
        for s in shape:
            n *= s
        items.append({"motion": torch.arange(n, dtype=torch.float32).reshape(shape) / 100 + i,
                      "actions": torch.full((t,), i + 1, dtype=torch.long),
                      "physics": torch.zeros(t, 6),
                      "embedding": torch.full((1024,), 0.5 + i),
                      "description": "clip %d" % i})
    return items


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    sd = state_dict()
    torch.save(sd, os.path.join(out, "state_dict.pt"))
    torch.save(wrapper(sd), os.path.join(out, "wrapper.pt"))
    torch.save(dataset(), os.path.join(out, "dataset.pt"))
    torch.save(sd, os.path.join(out, "legacy.pt"), _use_new_zipfile_serialization=False)
    torch.save(sd, os.path.join(out, "protocol4.pt"), pickle_protocol=4)
    plain = collections.OrderedDict(w=torch.arange(6, dtype=torch.float32).reshape(2, 3))
    torch.save(plain, os.path.join(out, "small.pt"))
    # Files the reader must refuse, each with a one-line reason.
    torch.save({"z": torch.zeros(2, dtype=torch.complex64)}, os.path.join(out, "complex.pt"))
    with zipfile.ZipFile(os.path.join(out, "small.pt")) as src, \
            zipfile.ZipFile(os.path.join(out, "deflated.pt"), "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    # A hand-built pickle that would run os.system('true') under Python's pickle.
    evil = b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03."
    with zipfile.ZipFile(os.path.join(out, "evil.pt"), "w", zipfile.ZIP_STORED) as z:
        z.writestr("evil/data.pkl", evil)
        z.writestr("evil/version", "3\n")


if __name__ == "__main__":
    main()
