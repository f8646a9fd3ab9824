#!/usr/bin/python3
"""A PyTorch/Python oracle for stickgen's BERT text encoder (src/text/bert*.cpp), used by tests and
benchmarks. Debian's python3 has torch and numpy but not `transformers`, so BertTokenizer and
BertModel are written out here from their published behaviour, readably:

  tokenizer  special tokens kept whole; with do_lower_case every other character lower-cased on its
             own; basic tokenizer (clean, CJK spacing, NFC, whitespace split, lower + strip accents,
             punctuation split); WordPiece (greedy longest match, "##", [UNK] past 100 characters);
             [CLS] ... [SEP] truncated to the model's length
  model      post-LayerNorm BERT, exact (erf) GELU, attention over every token, [CLS] of the last
             layer, L2-normalised (bge's pooling) — computed in float64 from the stored weights

  bert_reference.py fixtures --out DIR
      writes DIR/{uncased,prefixed_bf16,cased_f16}/ (tiny random BERT directories: config.json,
      vocab.txt, tokenizer_config.json, model.safetensors), DIR/reference.json (ids and embeddings
      of several sentences for each model) and DIR/sweep.json (basic-tokenizer output over the
      Unicode range, uncased and cased)
  bert_reference.py make --out DIR --preset tiny|bge-large [--dtype f32|f16|bf16] [--seed S]
      one model directory (bge-large: the real shapes, 24 x 1024, random weights; for benchmarks)
  bert_reference.py embed --model DIR TEXT...
      prints {"ids": [...], "embedding": [...]} per text, one JSON line each
"""
import argparse
import json
import math
import os
import random
import struct
import sys
import unicodedata

import numpy as np
import torch
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------------


def is_whitespace(c):
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def is_control(c):
    return c not in "\t\n\r" and unicodedata.category(c).startswith("C")


def is_punctuation(c):
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or
            0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or
            0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


class Tokenizer:
    def __init__(self, directory):
        with open(os.path.join(directory, "vocab.txt"), encoding="utf-8") as f:
            self.vocab_list = [line.rstrip("\n") for line in f.readlines()]
        self.vocab = {t: i for i, t in enumerate(self.vocab_list)}
        cfg = {}
        p = os.path.join(directory, "tokenizer_config.json")
        if os.path.exists(p):
            with open(p) as f:
                cfg = json.load(f)
        self.lower = cfg.get("do_lower_case", True)
        self.strip = cfg.get("strip_accents")
        self.chinese = cfg.get("tokenize_chinese_chars", True)
        self.unk, self.cls, self.sep = "[UNK]", "[CLS]", "[SEP]"
        self.specials = [t for t in ("[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]") if t in self.vocab]

    def basic(self, text):
        """The basic tokenizer, after BertTokenizer.tokenize's per-character lower-casing."""
        if self.lower:
            text = "".join(c.lower() for c in text)
        out = []
        for c in text:
            if ord(c) == 0 or ord(c) == 0xFFFD or is_control(c):
                continue
            if is_whitespace(c):
                out.append(" ")
            elif self.chinese and is_cjk(ord(c)):
                out.append(" " + c + " ")
            else:
                out.append(c)
        text = unicodedata.normalize("NFC", "".join(out))
        pieces = []
        for word in text.strip().split():
            if self.lower:
                word = word.lower()
            if self.strip or (self.strip is None and self.lower):
                word = "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")
            current = ""
            for c in word:
                if is_punctuation(c):
                    if current:
                        pieces.append(current)
                    pieces.append(c)
                    current = ""
                else:
                    current += c
            if current:
                pieces.append(current)
        return " ".join(pieces).split()

    def wordpiece(self, word):
        if len(word) > 100:
            return [self.unk]
        out, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while start < end:
                piece = ("##" if start > 0 else "") + word[start:end]
                if piece in self.vocab:
                    found = piece
                    break
                end -= 1
            if found is None:
                return [self.unk]
            out.append(found)
            start = end
        return out

    def tokenize(self, text):
        tokens, i = [], 0
        while True:
            best = None
            for s in self.specials:
                p = text.find(s, i)
                if p >= 0 and (best is None or p < best[0] or (p == best[0] and len(s) > len(best[1]))):
                    best = (p, s)
            segment = text[i:] if best is None else text[i:best[0]]
            for w in self.basic(segment):
                tokens.extend(self.wordpiece(w))
            if best is None:
                return tokens
            tokens.append(best[1])
            i = best[0] + len(best[1])

    def encode(self, text, max_len):
        pieces = self.tokenize(text)[:max_len - 2]
        return [self.vocab[self.cls]] + [self.vocab[t] for t in pieces] + [self.vocab[self.sep]]


# ---------------------------------------------------------------------------------------------
# safetensors (own minimal reader/writer)
# ---------------------------------------------------------------------------------------------


def save_safetensors(path, tensors, dtype):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        if dtype == "f32":
            raw, code = t.to(torch.float32).numpy().tobytes(), "F32"
        elif dtype == "f16":
            raw, code = t.to(torch.float16).numpy().tobytes(), "F16"
        else:
            raw, code = t.to(torch.bfloat16).view(torch.int16).numpy().tobytes(), "BF16"
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)


def load_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    data = blob[8 + n:]
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        raw = data[a:b]
        if e["dtype"] == "F32":
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.float32).copy())
        elif e["dtype"] == "F16":
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.float16).astype(np.float32))
        elif e["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.int16).copy()).view(torch.bfloat16).to(torch.float32)
        else:
            continue
        out[name] = t.reshape(e["shape"])
    return out


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------


def embed(weights, cfg, ids):
    """[CLS] of the last layer, L2-normalised, in float64."""
    pre = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
    W = lambda k: weights[pre + k].to(torch.float64)
    H, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg.get("layer_norm_eps", 1e-12)
    hd = H // heads
    n = len(ids)
    x = W("embeddings.word_embeddings.weight")[torch.tensor(ids)] + W("embeddings.position_embeddings.weight")[:n] \
        + W("embeddings.token_type_embeddings.weight")[0]
    x = F.layer_norm(x, (H,), W("embeddings.LayerNorm.weight"), W("embeddings.LayerNorm.bias"), eps)
    for l in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % l
        lin = lambda t, name: F.linear(t, W(p + name + ".weight"), W(p + name + ".bias"))
        heads_of = lambda t: t.view(n, heads, hd).transpose(0, 1)  # (heads, n, hd)
        q, k, v = (heads_of(lin(x, "attention.self." + s)) for s in ("query", "key", "value"))
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(hd), dim=-1)
        ctx = (att @ v).transpose(0, 1).reshape(n, H)
        a = F.layer_norm(lin(ctx, "attention.output.dense") + x, (H,), W(p + "attention.output.LayerNorm.weight"),
                         W(p + "attention.output.LayerNorm.bias"), eps)
        inter = F.gelu(lin(a, "intermediate.dense"))
        x = F.layer_norm(lin(inter, "output.dense") + a, (H,), W(p + "output.LayerNorm.weight"),
                         W(p + "output.LayerNorm.bias"), eps)
    return F.normalize(x[0], dim=0)


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["a", "the", "person", "man", "woman", "walk", "run", "jump", "wave", "then", "and", "to", "left",
         "right", "slowly", "quick", "cafe", "naive", "resume", "don", "t", "stop", "go", "1", "2", "3",
         "人", "走", "σ", "ς", "i", "x", "y", "z", "ab", "b", "c", "d", "e", "un", "known", "walker",
         "##s", "##ed", "##ing", "##ly", "##er", "##ab", "##b", "##c", "##a", "##known", "##0", "##1",
         ".", ",", "!", "?", "'", "-", "\"", "(", ")", ":", ";", "$", "&", "/", "~", "^", "[", "]"]
CASED_WORDS = ["The", "Man", "Walks", "Café", "Naïve", "Ω", "Å", "한", "##국", "##어", "e", "##é", "Σ", "σ"]


def tiny_config(hidden, heads, layers, inter, positions, vocab):
    return {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": hidden,
            "num_attention_heads": heads, "num_hidden_layers": layers, "intermediate_size": inter,
            "max_position_embeddings": positions, "type_vocab_size": 2, "vocab_size": vocab,
            "layer_norm_eps": 1e-12, "hidden_act": "gelu", "position_embedding_type": "absolute",
            "pad_token_id": 0}


def random_weights(cfg, seed, std=0.2):
    g = torch.Generator().manual_seed(seed)
    r = lambda *shape, s=std: torch.randn(*shape, generator=g) * s
    H, I = cfg["hidden_size"], cfg["intermediate_size"]
    w = {"embeddings.word_embeddings.weight": r(cfg["vocab_size"], H, s=1.0),
         "embeddings.position_embeddings.weight": r(cfg["max_position_embeddings"], H, s=0.5),
         "embeddings.token_type_embeddings.weight": r(cfg["type_vocab_size"], H, s=0.5),
         "embeddings.LayerNorm.weight": 1 + r(H, s=0.1), "embeddings.LayerNorm.bias": r(H, s=0.1),
         "pooler.dense.weight": r(H, H), "pooler.dense.bias": r(H, s=0.1)}
    for l in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % l
        for name, (o, i) in {"attention.self.query": (H, H), "attention.self.key": (H, H),
                             "attention.self.value": (H, H), "attention.output.dense": (H, H),
                             "intermediate.dense": (I, H), "output.dense": (H, I)}.items():
            w[p + name + ".weight"] = r(o, i)
            w[p + name + ".bias"] = r(o, s=0.1)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + ln + ".weight"] = 1 + r(H, s=0.1)
            w[p + ln + ".bias"] = r(H, s=0.1)
    return w


def write_model(directory, cfg, weights, vocab, tok_cfg, dtype="f32", prefix=""):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(directory, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in vocab))
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump(tok_cfg, f, indent=2)
    save_safetensors(os.path.join(directory, "model.safetensors"), {prefix + k: v for k, v in weights.items()}, dtype)


TEXTS = [
    "a person walks then waves",
    "The man walks quickly, then jumps!",
    "Café naïve résumé",
    "xylophone qwzx walks",
    "",
    "  \t\n ",
    "人走 walk走",
    "a [MASK] walks [SEP] left [UNK]",
    "walking walked walks walker unknown",
    "don't-stop (go) $3.21 ~x^y",
    "wa\x00lk\u200b wa\u0301ve \ufffd run",
    "a" * 101 + " " + "ab" * 50 + " " + "ab" * 51,
    "ΣΑΣ σς İ Å Cafe\u0301 한국어 The Man",
    " ".join(["walk", "run", "jump"] * 200),
]


def fixtures(out):
    os.makedirs(out, exist_ok=True)
    models = {
        "uncased": (tiny_config(32, 4, 2, 48, 512, len(SPECIALS) + len(WORDS)), SPECIALS + WORDS,
                    {"do_lower_case": True, "model_max_length": 512, "tokenizer_class": "BertTokenizer"}, "f32", ""),
        "prefixed_bf16": (tiny_config(24, 3, 1, 40, 512, len(SPECIALS) + len(WORDS) + 3),
                          SPECIALS + WORDS + ["[unused0]", "[unused1]", "[unused2]"],
                          {"do_lower_case": True, "cls_token": {"content": "[CLS]"}}, "bf16", "bert."),
        "cased_f16": (tiny_config(36, 3, 2, 50, 40, len(SPECIALS) + len(WORDS) + len(CASED_WORDS)),
                      SPECIALS + WORDS + CASED_WORDS, {"do_lower_case": False, "model_max_length": 512}, "f16", ""),
    }
    reference = {}
    for i, (name, (cfg, vocab, tok_cfg, dtype, prefix)) in enumerate(models.items()):
        d = os.path.join(out, name)
        write_model(d, cfg, random_weights(cfg, 11 + i), vocab, tok_cfg, dtype, prefix)
        weights = load_safetensors(os.path.join(d, "model.safetensors"))  # as stored (rounded)
        tok = Tokenizer(d)
        max_len = min(cfg["max_position_embeddings"], tok_cfg.get("model_max_length", 10**9))
        rows = []
        for text in TEXTS:
            ids = tok.encode(text, max_len)
            rows.append({"text": text, "tokens": [tok.vocab_list[i] for i in ids], "ids": ids,
                         "embedding": embed(weights, cfg, ids).tolist()})
        reference[name] = rows
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(reference, f, ensure_ascii=True)
    with open(os.path.join(out, "sweep.json"), "w") as f:
        json.dump(sweep(out), f, ensure_ascii=True)


def sweep(out):
    """Basic-tokenizer output over the Unicode range (16 consecutive code points per text), plus
    composed/decomposed/reordered sequences and random mixtures, for an uncased and a cased model."""
    cps = [c for c in range(0x323B0) if not 0xD800 <= c < 0xE000]
    cps += list(range(0xE0000, 0xE01F0)) + list(range(0x323B0, 0x110000, 0x1001))
    texts = ["".join(chr(c) for c in cps[i:i + 16]) for i in range(0, len(cps), 16)]
    texts += ["ΣΑΣ ΟΔΟΣ", "İstanbul", "ǅemal", "ﬃx", "ẞ", "\u212b", "e\u0301", "A\u0328\u0301", "a\u0301\u0328",
              "\u1100\u1161\u11a8", "\u1100\u1161", "\uac00\u11a8", "q\u0307\u0323", "\u0915\u093c\u094d",
              "\u1e0b\u0323", "\u0041\u030a\u0301", "x\u0345\u0301", "\U0001d15e\U0001d165", "ΆΈΉ", "ᾼ"]
    rng = random.Random(5)
    pool = ([chr(c) for c in range(32, 127)] + [chr(c) for c in range(0xC0, 0x250)] +
            [chr(c) for c in range(0x300, 0x370)] + [chr(c) for c in range(0x370, 0x400)] +
            [chr(c) for c in range(0x400, 0x460)] + [chr(c) for c in range(0x1100, 0x1200)] +
            [chr(c) for c in range(0xAC00, 0xAC40)] + ["人", "走", "\u3000", "\xa0", "\u2028", "\u200b", "\x00",
                                                         "\x07", "\ufffd", "\u0130", "\u1e9e", "\u212b", "\U0001f600",
                                                         "\u0915", "\u093c", "\u094d", "\u0345", "\uff21", "\t", "\n"])
    for _ in range(3000):
        texts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 12))))
    result = {}
    for name, lower in (("uncased", True), ("cased", False)):
        tok = Tokenizer.__new__(Tokenizer)
        tok.lower, tok.strip, tok.chinese = lower, None, True
        result[name] = [[t, tok.basic(t)] for t in texts]
    return result


def make(args):
    if args.preset == "bge-large":
        vocab = SPECIALS + WORDS + ["[unused%d]" % i for i in range(30522 - len(SPECIALS) - len(WORDS))]
        cfg = tiny_config(1024, 16, 24, 4096, 512, len(vocab))
        std = 0.02
    else:
        vocab = SPECIALS + WORDS
        cfg = tiny_config(32, 4, 2, 48, 512, len(vocab))
        std = 0.2
    torch.manual_seed(args.seed)
    weights = random_weights(cfg, args.seed, std)
    write_model(args.out, cfg, weights, vocab, {"do_lower_case": True, "model_max_length": 512}, args.dtype)


def embed_cmd(args):
    with open(os.path.join(args.model, "config.json")) as f:
        cfg = json.load(f)
    weights = load_safetensors(os.path.join(args.model, "model.safetensors"))
    tok = Tokenizer(args.model)
    for text in args.texts:
        ids = tok.encode(text, cfg["max_position_embeddings"])
        print(json.dumps({"ids": ids, "embedding": embed(weights, cfg, ids).tolist()}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("fixtures")
    p.add_argument("--out", required=True)
    p = sub.add_parser("make")
    p.add_argument("--out", required=True)
    p.add_argument("--preset", choices=["tiny", "bge-large"], default="tiny")
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("embed")
    p.add_argument("--model", required=True)
    p.add_argument("texts", nargs="+")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.cmd == "fixtures":
        fixtures(args.out)
    elif args.cmd == "make":
        make(args)
    else:
        embed_cmd(args)


if __name__ == "__main__":
    main()
