#!/usr/bin/env python3
"""A minimal, independent safetensors reader/writer (json + struct + numpy) used by the tests to
check that stickgen's files are readable from Python and that stickgen reads Python's files.
Debian's python3 has no `safetensors` package; this follows the published layout:
[u64 LE header length][JSON header][data], offsets relative to the data section.

  safetensors_min.py roundtrip IN OUT   read stickgen's IN (checking the layout the published
                                        library insists on), write OUT with our own writer: every
                                        tensor of IN plus numpy/torch reference conversions of "x"
  safetensors_min.py dataset DIR        read a stickgen dataset directory, print a JSON summary
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": np.uint16, "I64": np.int64,
          "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def fail(msg):
    print("safetensors_min.py: " + msg, file=sys.stderr)
    sys.exit(1)


def read(path, strict=True):
    """-> (dict name -> (dtype string, numpy array), metadata dict). BF16 stays raw uint16."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header_bytes = blob[8:8 + n]
    header = json.loads(header_bytes)
    data = blob[8 + n:]
    meta = header.pop("__metadata__", {})
    if strict:
        if (8 + n) % 8:
            fail("%s: data section starts at %d, not a multiple of 8" % (path, 8 + n))
        if not header_bytes.startswith(b"{"):
            fail("%s: header does not start with '{'" % path)
        names = list(header.keys())
        if names != sorted(names):
            fail("%s: header keys are not sorted" % path)
        spans = sorted((info["data_offsets"][0], info["data_offsets"][1], name) for name, info in header.items())
        pos = 0
        for begin, end, name in spans:  # the published library requires contiguous coverage
            if begin != pos:
                fail("%s: tensor %s starts at %d, expected %d" % (path, name, begin, pos))
            itemsize = np.dtype(DTYPES[header[name]["dtype"]]).itemsize
            if begin % itemsize:
                fail("%s: tensor %s at %d is not aligned to %d" % (path, name, begin, itemsize))
            pos = end
        if pos != len(data):
            fail("%s: tensors cover %d of %d data bytes" % (path, pos, len(data)))
        for k, v in meta.items():
            if not isinstance(v, str):
                fail("%s: metadata %s is not a string" % (path, k))
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dt = np.dtype(DTYPES[info["dtype"]]).newbyteorder("<")
        arr = np.frombuffer(data[begin:end], dtype=dt).reshape(info["shape"])
        tensors[name] = (info["dtype"], arr)
    return tensors, meta


def write(path, tensors, meta):
    """tensors: dict name -> (dtype string, numpy array). Data in name order, no alignment
    padding between tensors (so readers must cope with unaligned data)."""
    header, blobs, pos = {}, [], 0
    if meta:
        header["__metadata__"] = meta
    for name in sorted(tensors):
        dtype, arr = tensors[name]
        b = np.ascontiguousarray(arr).astype(np.dtype(DTYPES[dtype]).newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [pos, pos + len(b)]}
        blobs.append(b)
        pos += len(b)
    text = json.dumps(header).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def roundtrip(src, dst):
    import torch
    tensors, meta = read(src)
    out = dict(tensors)
    x = tensors["x"][1].astype(np.float32)
    with np.errstate(all="ignore"):
        out["f16"] = ("F16", x.astype(np.float16))
    out["bf16"] = ("BF16", torch.from_numpy(x.copy()).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16))
    out["half_to_f32"] = ("F32", np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32))
    meta = dict(meta)
    meta["python"] = "numpy %s, torch %s" % (np.__version__, torch.__version__)
    write(dst, out, meta)


def dataset(directory):
    tensors, meta = read(directory + "/clips.safetensors")
    with open(directory + "/clips.jsonl") as f:
        records = [json.loads(line) for line in f if line.strip()]
    offsets = tensors["offsets"][1]
    motion = tensors["motion"][1]
    mask = tensors["actor_mask"][1]
    if len(records) + 1 != len(offsets):
        fail("%d records but %d offsets" % (len(records), len(offsets)))
    if offsets[-1] != motion.shape[0]:
        fail("offsets end at %d but motion has %d frames" % (offsets[-1], motion.shape[0]))
    print(json.dumps({
        "meta": meta,
        "clips": len(records),
        "frames": int(offsets[-1]),
        "shape": list(motion.shape),
        "first_id": records[0]["id"] if records else "",
        "last_id": records[-1]["id"] if records else "",
        "present": int(mask.sum()),
        "motion_sum": float(motion.astype(np.float64).sum()),
        "clip1_frames": int(offsets[2] - offsets[1]) if len(offsets) > 2 else 0,
    }))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "roundtrip":
        roundtrip(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "dataset":
        dataset(sys.argv[2])
    else:
        fail("usage: safetensors_min.py roundtrip IN OUT | dataset DIR")
