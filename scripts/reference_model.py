#!/usr/bin/python3
"""PyTorch oracle of the StickFigureTransformer (SPEC §2), used only by tests and benchmarks.

Readable on purpose: one module per line of SPEC §2, state_dict names exactly as the reference's
(Sequential indices, rope.inv_freq as a persistent buffer). Needs Debian's python3-torch (1.13).

  reference_model.py save --preset small|medium|large|tiny --seed S
                          [--attention causal|bidirectional] [--dtype f32|f16|bf16]
                          [--perturb-norms] [--text-encoder NAME] [--identity-normalization]
                          [--out model.safetensors] [--torch-bin pytorch_model.bin]
  reference_model.py run --model M.safetensors --inputs in.safetensors --out out.safetensors
                         [--attention causal|bidirectional]
  reference_model.py make-inputs --model M.safetensors --frames T --batch B --seed S
                         [--actions] [--camera] [--partner] --out in.safetensors

Inputs (run): motion [T,B,in] f32, text_embedding [B,E] f32, optional actions [T,B] (i64/i32),
camera [T,B,3], partner [T,B,in]. Outputs: pose [T,B,out], action_logits [T,B,A], physics [T,B,6],
position [B,2], velocity [B,2], environment [B,32] (pooled by the mean over motion tokens).
"""
import argparse
import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    "small": dict(d_model=256, nhead=8, num_layers=6, embedding_dim=1024),
    "medium": dict(d_model=384, nhead=12, num_layers=8, embedding_dim=1024),
    "large": dict(d_model=512, nhead=16, num_layers=10, embedding_dim=1024),
    "tiny": dict(d_model=32, nhead=4, num_layers=2, embedding_dim=64),
}


# ---------------------------------------------------------------------------------------------
# The architecture
# ---------------------------------------------------------------------------------------------
class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class RotaryEmbedding(nn.Module):
    def __init__(self, head_dim, base=10000.0):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2).float() / head_dim))
        self.register_buffer("inv_freq", inv_freq)  # persistent: it is in the state_dict

    def forward(self, n):  # -> cos, sin [n, head_dim] for positions 0..n-1
        t = torch.arange(n, dtype=self.inv_freq.dtype, device=self.inv_freq.device)
        f = torch.outer(t, self.inv_freq)
        emb = torch.cat([f, f], dim=-1)
        return emb.cos(), emb.sin()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class RoPEAttention(nn.Module):
    def __init__(self, d_model, nhead, dropout):
        super().__init__()
        self.nhead = nhead
        self.head_dim = d_model // nhead
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.rope = RotaryEmbedding(self.head_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, mask=None):  # x [S, B, d]; mask [S, S] bool, True = may attend
        S, B, d = x.shape
        H, hd = self.nhead, self.head_dim
        q = self.q_proj(x).view(S, B, H, hd)
        k = self.k_proj(x).view(S, B, H, hd)
        v = self.v_proj(x).view(S, B, H, hd)
        cos, sin = self.rope(S)
        cos, sin = cos[:, None, None, :], sin[:, None, None, :]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        q, k, v = (t.permute(1, 2, 0, 3) for t in (q, k, v))  # [B, H, S, hd]
        scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        attn = self.dropout(torch.softmax(scores, dim=-1))
        out = (attn @ v).permute(2, 0, 1, 3).reshape(S, B, d)
        return self.out_proj(out)


class SwiGLU(nn.Module):
    def __init__(self, d_model, hidden, dropout):
        super().__init__()
        self.gate_proj = nn.Linear(d_model, hidden, bias=False)
        self.value_proj = nn.Linear(d_model, hidden, bias=False)
        self.output_proj = nn.Linear(hidden, d_model, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.output_proj(self.dropout(F.silu(self.gate_proj(x)) * self.value_proj(x)))


class EncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dropout):
        super().__init__()
        self.self_attn = RoPEAttention(d_model, nhead, dropout)
        self.ffn = SwiGLU(d_model, 4 * d_model, dropout)
        self.norm1 = RMSNorm(d_model)
        self.norm2 = RMSNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, mask=None):
        x = x + self.dropout(self.self_attn(self.norm1(x), mask))
        return x + self.ffn(self.norm2(x))


class Encoder(nn.Module):
    def __init__(self, d_model, nhead, num_layers, dropout):
        super().__init__()
        self.layers = nn.ModuleList(EncoderLayer(d_model, nhead, dropout) for _ in range(num_layers))

    def forward(self, x, mask=None):
        for layer in self.layers:
            x = layer(x, mask)
        return x


def head(d_in, hidden, d_out, dropout):
    return nn.Sequential(nn.Linear(d_in, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, d_out))


def branch(d_in, hidden, d_model, dropout):  # motion / camera / partner: Linear GELU Linear LayerNorm Dropout
    return nn.Sequential(nn.Linear(d_in, hidden), nn.GELU(), nn.Linear(hidden, d_model),
                         nn.LayerNorm(d_model), nn.Dropout(dropout))


class StickFigureTransformer(nn.Module):
    def __init__(self, input_dim=20, d_model=256, nhead=8, num_layers=6, output_dim=20,
                 embedding_dim=1024, num_actions=64, dropout=0.1, causal=True):
        super().__init__()
        d = d_model
        self.causal = causal
        self.text_projection = nn.Sequential(
            nn.Linear(embedding_dim, 2 * d), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * d, d),
            nn.LayerNorm(d), nn.Dropout(dropout))
        self.motion_embedding = branch(input_dim, d // 2, d, dropout)
        self.action_embedding = nn.Embedding(num_actions, 64)
        self.action_projection = nn.Sequential(nn.Linear(64, d), nn.LayerNorm(d), nn.Dropout(dropout))
        self.camera_projection = branch(3, d // 4, d, dropout)
        self.partner_projection = branch(input_dim, d // 2, d, dropout)
        self.transformer_encoder = Encoder(d, nhead, num_layers, dropout)
        self.pose_decoder = head(d, d // 2, output_dim, dropout)
        self.position_decoder = head(d, d // 4, 2, dropout)
        self.velocity_decoder = head(d, d // 4, 2, dropout)
        self.action_predictor = head(d, d // 2, num_actions, dropout)
        self.physics_decoder = head(d, d // 2, 6, dropout)
        self.environment_decoder = head(d, d // 2, 32, dropout)
        for p in self.parameters():  # the reference's init
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def attention_mask(self, S):  # text token at 0 visible to all; motion i sees positions <= i
        if not self.causal:
            return None
        return torch.ones(S, S, dtype=torch.bool).tril()

    def forward(self, motion, text_embedding, actions=None, camera=None, partner=None):
        m = self.motion_embedding(motion)
        if actions is not None:
            m = m + self.action_projection(self.action_embedding(actions.long()))
        if camera is not None:
            m = m + self.camera_projection(camera)
        if partner is not None:
            m = m + self.partner_projection(partner)
        text = self.text_projection(text_embedding)[None]  # [1, B, d]
        x = torch.cat([text, m], dim=0)
        x = self.transformer_encoder(x, self.attention_mask(x.shape[0]))
        h = x[1:]
        pooled = h.mean(dim=0)
        return {
            "pose": self.pose_decoder(h),
            "action_logits": self.action_predictor(h),
            "physics": self.physics_decoder(h),
            "position": self.position_decoder(pooled),
            "velocity": self.velocity_decoder(pooled),
            "environment": self.environment_decoder(pooled),
        }


# ---------------------------------------------------------------------------------------------
# safetensors, written and read here so the oracle shares no code with the C++ under test
# ---------------------------------------------------------------------------------------------
_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def _to_bytes(name, t):
    """-> (dtype name, shape, raw bytes) for a torch tensor."""
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bf16: the raw 16-bit patterns
        return "BF16", list(t.shape), t.view(torch.int16).numpy().tobytes()
    a = t.numpy()
    for k, v in _DTYPES.items():
        if a.dtype == v:
            return k, list(a.shape), a.astype(a.dtype.newbyteorder("<")).tobytes()
    raise SystemExit(f"safetensors: tensor '{name}' has unsupported dtype {a.dtype}")


def save_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        dtype, shape, raw = _to_bytes(name, tensors[name])
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)  # data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    """-> ({name: torch tensor}, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        lo, hi = info["data_offsets"]
        raw = data[base + lo:base + hi]
        if info["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<i2").copy()).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")).copy())
        out[name] = t.reshape(info["shape"])
    return out, metadata


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------
def config_for(preset, attention):
    c = dict(input_dim=20, d_model=256, nhead=8, num_layers=6, output_dim=20, embedding_dim=1024,
             num_actions=64, dropout=0.1)
    c.update(PRESETS[preset])
    c["attention"] = attention
    return c


def build(config):
    kw = {k: v for k, v in config.items() if k != "attention"}
    return StickFigureTransformer(**kw, causal=config.get("attention", "causal") == "causal")


def load_model(path, attention=None):
    tensors, meta = load_safetensors(path)
    if meta.get("stickgen.format") != "model":
        raise SystemExit(f"{path}: not a stickgen model file (stickgen.format != model)")
    config = json.loads(meta["stickgen.config"])
    if attention:
        config["attention"] = attention
    model = build(config)
    state = {k: v.float() for k, v in tensors.items()}
    model.load_state_dict(state, strict=True)
    return model.eval(), config


def cmd_save(a):
    torch.manual_seed(a.seed)
    config = config_for(a.preset, a.attention)
    model = build(config)
    if a.perturb_norms:  # non-trivial norm weights/biases so a swapped gamma/beta cannot pass
        with torch.no_grad():
            for name, p in model.named_parameters():
                if p.dim() == 1:
                    p.add_(0.1 * torch.randn_like(p))
    state = model.state_dict()
    if a.torch_bin:
        torch.save(state, a.torch_bin)
    if a.out:
        cast = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[a.dtype]
        # rope.inv_freq is a buffer of exact constants: kept in f32 whatever the weight dtype
        tensors = {k: (v if k.endswith("rope.inv_freq") else v.to(cast)) for k, v in state.items()}
        meta = {"stickgen.format": "model", "stickgen.config": json.dumps(config),
                "stickgen.text_encoder": a.text_encoder}
        if a.identity_normalization:  # lets `stickgen generate` place the outputs of random weights
            n = config["input_dim"]
            meta["stickgen.normalization"] = json.dumps({"mean": [0.0] * n, "std": [1.0] * n})
        save_safetensors(a.out, tensors, meta)


def cmd_run(a):
    torch.set_num_threads(a.threads)
    model, config = load_model(a.model, a.attention)
    inputs, _ = load_safetensors(a.inputs)
    get = lambda k: inputs[k].float() if k in inputs else None
    actions = inputs["actions"].long() if "actions" in inputs else None
    with torch.no_grad():
        out = model(get("motion"), get("text_embedding"), actions, get("camera"), get("partner"))
    save_safetensors(a.out, out)


def cmd_make_inputs(a):
    _, meta = load_safetensors(a.model)
    c = json.loads(meta["stickgen.config"])
    g = torch.Generator().manual_seed(a.seed)
    T, B = a.frames, a.batch
    x = {"motion": torch.randn(T, B, c["input_dim"], generator=g),
         "text_embedding": F.normalize(torch.randn(B, c["embedding_dim"], generator=g), dim=-1)}
    if a.actions:
        x["actions"] = torch.randint(0, c["num_actions"], (T, B), generator=g)
    if a.camera:
        x["camera"] = torch.randn(T, B, 3, generator=g)
    if a.partner:
        x["partner"] = torch.randn(T, B, c["input_dim"], generator=g)
    save_safetensors(a.out, x)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("save", help="random (seeded) weights -> model.safetensors and/or pytorch_model.bin")
    s.add_argument("--preset", choices=sorted(PRESETS), default="small")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--attention", choices=["causal", "bidirectional"], default="causal")
    s.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    s.add_argument("--perturb-norms", action="store_true", help="randomise norm weights and all biases")
    s.add_argument("--text-encoder", default="BAAI/bge-large-en-v1.5",
                   help="recorded as stickgen.text_encoder (e.g. hashed-v1-1024 for `stickgen generate`)")
    s.add_argument("--identity-normalization", action="store_true",
                   help="record stickgen.normalization with mean 0 and std 1")
    s.add_argument("--out")
    s.add_argument("--torch-bin")
    r = sub.add_parser("run", help="forward pass in eval mode, every head written to --out")
    r.add_argument("--model", required=True)
    r.add_argument("--inputs", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--attention", choices=["causal", "bidirectional"])
    r.add_argument("--threads", type=int, default=1)
    m = sub.add_parser("make-inputs", help="random (seeded) inputs for a model file")
    m.add_argument("--model", required=True)
    m.add_argument("--frames", type=int, default=16)
    m.add_argument("--batch", type=int, default=1)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--actions", action="store_true")
    m.add_argument("--camera", action="store_true")
    m.add_argument("--partner", action="store_true")
    m.add_argument("--out", required=True)
    a = p.parse_args(argv)
    if a.cmd == "save" and not (a.out or a.torch_bin):
        p.error("save: give --out and/or --torch-bin")
    {"save": cmd_save, "run": cmd_run, "make-inputs": cmd_make_inputs}[a.cmd](a)


if __name__ == "__main__":
    main(sys.argv[1:])
