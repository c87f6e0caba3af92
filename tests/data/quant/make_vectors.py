#!/usr/bin/env python3
"""Writes the test vectors of tests/engine/test_dequantize.cpp and test_quantize.cpp.

Ground truth is gguf-py (llama.cpp's own Python package, `pip install gguf numpy`),
whose numpy (de)quantizers reproduce ggml's reference C functions bit for bit.

Files (all little-endian):
  dequant_<TYPE>.bin  u32 n, the row's raw bytes (random blocks with finite
                      fp16 scales), n f32: gguf-py's dequantization.
  quant_<TYPE>.bin    u32 n, n f32 inputs, the row's bytes as gguf-py
                      quantizes them (the types gguf-py can quantize).
  blocks_<TYPE>.bin   u32 n, the row's bytes as gguf-py quantizes n weights from
                      N(0, 0.08) (types we have no quantizer for: the blocks
                      test_iquant_model builds its model files from).
  model_rows.bin      u32 count, then per record: u32 len + model file name,
                      u32 len + tensor name, u32 type, u64 row, u32 n, n f32:
                      rows of real model tensors dequantized by gguf-py.

Usage: make_vectors.py [MODEL_DIR]   (default ~/.cache/nibble/test-models)
Deterministic: a fixed seed, so re-running rewrites identical files.
"""
import os
import struct
import sys
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import GGUFReader
from gguf.quants import dequantize, quantize
from gguf.constants import GGML_QUANT_SIZES

OUT = Path(__file__).resolve().parent
rng = np.random.default_rng(20240611)

# Byte offsets of the fp16 scale fields in each block (see engine/tensor/block_formats.h).
HALF_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
    T.IQ4_NL: [0], T.IQ4_XS: [0], T.TQ1_0: [52], T.TQ2_0: [64],
    T.IQ3_XXS: [0],
    T.IQ2_XXS: [0],
    T.IQ3_S: [0],
    T.IQ2_XS: [0],
    T.IQ2_S: [0],
    T.IQ1_S: [0],
    T.IQ1_M: [48],  # d spread over the top nibbles of the four u16 scales (store_halves)
}


def random_halves(count):
    """Finite fp16 scales: mostly ordinary magnitudes, some subnormal, zero, large."""
    mags = 10.0 ** rng.uniform(-4, 1, count)
    signs = rng.choice([-1.0, 1.0], count)
    h = (mags * signs).astype(np.float16)
    special = np.array([0.0, -0.0, 6.1e-5, 5.96e-8, 3e-6, 900.0], dtype=np.float16)
    picks = rng.random(count) < 0.1
    h[picks] = rng.choice(special, picks.sum())
    return h.view(np.uint8).reshape(-1, 2)


def store_halves(raw, qtype, off, halves):
    """Puts one fp16 value per block at byte `off`; IQ1_M keeps nibble k of it in the top nibble of u16 k."""
    if qtype != T.IQ1_M:
        raw[:, off:off + 2] = halves
        return
    bits = halves.copy().view(np.uint16).reshape(-1, 1)
    words = raw[:, off:off + 8].copy().view(np.uint16)
    nibbles = (bits >> np.array([0, 4, 8, 12], dtype=np.uint16)) & 0xF
    raw[:, off:off + 8] = ((words & 0x0FFF) | (nibbles << 12)).astype(np.uint16).view(np.uint8)


def write_dequant(qtype, blocks, own_stream=False):
    """own_stream: draw from a generator seeded by the type, so adding a type leaves the other files as they were."""
    global rng
    shared = rng
    if own_stream:
        rng = np.random.default_rng(20240611 + int(qtype))
    block_size, type_size = GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, (blocks, type_size), dtype=np.uint8)
    for off in HALF_FIELDS[qtype]:
        store_halves(raw, qtype, off, random_halves(blocks))
    rng = shared
    values = dequantize(raw.reshape(-1), qtype).astype(np.float32)
    n = blocks * block_size
    assert values.size == n
    (OUT / f"dequant_{qtype.name}.bin").write_bytes(struct.pack("<I", n) + raw.tobytes() + values.tobytes())


def write_dequant_mxfp4(blocks):
    """MXFP4 has no fp16 field: its E8M0 exponents stay where 12 * 2^(e - 128) is finite."""
    raw = rng.integers(0, 256, (blocks, 17), dtype=np.uint8)
    raw[:, 0] = rng.integers(0, 160, blocks)
    raw[:4, 0] = [0, 1, 2, 127]  # the subnormal scales, the first normal one, 1/2
    values = dequantize(raw.reshape(-1), T.MXFP4).astype(np.float32)
    (OUT / "dequant_MXFP4.bin").write_bytes(struct.pack("<I", blocks * 32) + raw.tobytes() + values.tobytes())


def write_dequant_plain(qtype, bits):
    values = dequantize(bits.view(np.uint8), qtype).astype(np.float32)
    (OUT / f"dequant_{qtype.name}.bin").write_bytes(struct.pack("<I", bits.size) + bits.tobytes() + values.tobytes())


def write_reference_blocks(qtype, blocks):
    block_size, _ = GGML_QUANT_SIZES[qtype]
    x = rng.normal(0, 0.08, blocks * block_size).astype(np.float32)
    q = quantize(x.reshape(1, -1), qtype).reshape(-1)
    (OUT / f"blocks_{qtype.name}.bin").write_bytes(struct.pack("<I", x.size) + q.view(np.uint8).tobytes())


def quant_input(blocks):
    """Rows that exercise the quantizers' edge cases block by block."""
    out = []
    for b in range(blocks):
        kind = b % 8
        sigma = 10.0 ** rng.uniform(-3, 1)
        if kind == 0:
            x = rng.normal(0, sigma, 32)
        elif kind == 1:
            x = rng.uniform(0.1, 1.0, 32) * sigma          # all positive
        elif kind == 2:
            x = -rng.uniform(0.1, 1.0, 32) * sigma         # all negative
        elif kind == 3:
            x = np.zeros(32)                               # all zero
        elif kind == 4:
            x = np.full(32, sigma)                         # constant
        elif kind == 5:
            x = rng.normal(0, sigma * 0.01, 32)
            x[rng.integers(32)] = sigma * 5                # one outlier
        elif kind == 6:
            x = rng.integers(-8, 8, 32) * sigma / 8        # exactly on a grid: rounding ties
        else:
            x = rng.standard_t(3, 32) * sigma              # heavy tails
        out.append(x)
    return np.concatenate(out).astype(np.float32)


def write_quant(qtype, x):
    q = quantize(x.reshape(1, -1), qtype).reshape(-1)
    (OUT / f"quant_{qtype.name}.bin").write_bytes(struct.pack("<I", x.size) + x.tobytes() + q.view(np.uint8).tobytes())


def conversion_input(count):
    """Floats across the fp16 range: subnormals, exact ties, overflow edges."""
    x = (10.0 ** rng.uniform(-9, 5, count) * rng.choice([-1.0, 1.0], count)).astype(np.float32)
    ties = rng.integers(0, 0x7bff, count // 8).astype(np.uint16).view(np.float16).astype(np.float32)
    ties = np.nextafter(ties, np.float32(np.inf))  # a neighbour, not the half itself
    halfway = (rng.integers(1, 0x7bff, count // 8).astype(np.uint32) << 13 | 0x1000)  # mantissa exactly 1/2 ulp
    halfway = ((halfway + (112 << 23)) & 0x7fffffff).astype(np.uint32).view(np.float32)
    edges = np.array([0.0, -0.0, 65504.0, 65519.996, 65520.0, 1e6, -1e6, np.inf, -np.inf,
                      5.96e-8, 2.98e-8, 2.9802322e-08, 2.9802326e-08, 6.1035156e-05, 6.1e-5, 1e-10], dtype=np.float32)
    x[: ties.size] = ties
    x[ties.size: ties.size + halfway.size] = halfway
    x[-edges.size:] = edges
    return x


def write_conversions():
    x = conversion_input(2048)
    with np.errstate(over="ignore"):  # values past 65520 become infinity, as they should
        half = x.astype(np.float16).view(np.uint16)
    (OUT / "quant_F16.bin").write_bytes(struct.pack("<I", x.size) + x.tobytes() + half.tobytes())
    xb = x.copy()
    xb[:4] = np.array([0x7fc00000, 0x7f800001, 0xffa00001, 0x7fffffff], dtype=np.uint32).view(np.float32)  # NaNs
    bf = quantize(xb, T.BF16).view(np.uint16)
    (OUT / "quant_BF16.bin").write_bytes(struct.pack("<I", xb.size) + xb.tobytes() + bf.tobytes())

    bits = rng.integers(0, 0x10000, 1024, dtype=np.uint32).astype(np.uint16)
    bits[:8] = [0x0000, 0x8000, 0x0001, 0x83ff, 0x0400, 0x7bff, 0x7c00, 0xfc00]
    bits = bits[((bits & 0x7c00) != 0x7c00) | ((bits & 0x03ff) == 0)]  # NaN payloads are not portable
    write_dequant_plain(T.F16, bits)
    bbits = rng.integers(0, 0x10000, 1024, dtype=np.uint32).astype(np.uint16)
    bbits = bbits[((bbits & 0x7f80) != 0x7f80) | ((bbits & 0x007f) == 0)]
    write_dequant_plain(T.BF16, bbits)


# Rows of real tensors, one or two per tensor type the models hold.
MODEL_ROWS = [
    ("SmolLM2-135M-Instruct.Q4_1.gguf", "blk.0.ffn_down.weight", [0, 575]),
    ("SmolLM2-135M-Instruct.Q4_1.gguf", "blk.29.attn_k.weight", [191]),
    ("SmolLM2-135M-Instruct.Q4_1.gguf", "token_embd.weight", [0, 49151]),
    ("SmolLM2-135M-Instruct.Q4_1.gguf", "blk.0.attn_norm.weight", [0]),
    ("gemma-3-270m-q4_k_m.gguf", "blk.0.attn_q.weight", [1023]),
    ("gemma-3-270m-q4_k_m.gguf", "blk.0.attn_output.weight", [0, 639]),
    ("gemma-3-270m-q4_k_m.gguf", "blk.0.ffn_down.weight", [7]),
    ("gemma-3-270m-q4_k_m.gguf", "token_embd.weight", [262143]),
]


def write_model_rows(model_dir):
    records = []
    readers = {}
    for model, name, rows in MODEL_ROWS:
        path = model_dir / model
        if not path.exists():
            sys.exit(f"missing {path}: run scripts/fetch-test-models or pass the model folder")
        reader = readers.setdefault(model, GGUFReader(str(path)))
        tensor = next(t for t in reader.tensors if t.name == name)
        data = np.asarray(tensor.data)
        data = data.reshape(-1, data.shape[-1]) if data.ndim > 1 else data.reshape(1, -1)
        for row in rows:
            values = dequantize(data[row], tensor.tensor_type).astype(np.float32).reshape(-1)
            rec = struct.pack("<I", len(model)) + model.encode()
            rec += struct.pack("<I", len(name)) + name.encode()
            rec += struct.pack("<IQI", int(tensor.tensor_type), row, values.size) + values.tobytes()
            records.append(rec)
    (OUT / "model_rows.bin").write_bytes(struct.pack("<I", len(records)) + b"".join(records))


def main():
    model_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.home() / ".cache/nibble/test-models"
    for qtype in (T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0):
        write_dequant(qtype, 48)
    for qtype in (T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K):
        write_dequant(qtype, 6)
    for qtype in (T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1):
        write_quant(qtype, quant_input(64))
    write_conversions()
    # After the others, so their random streams (and files) stay as they were.
    write_dequant(T.IQ4_NL, 48)
    write_dequant(T.IQ4_XS, 6)
    write_dequant(T.TQ2_0, 6)
    write_reference_blocks(T.TQ2_0, 64)
    write_dequant(T.TQ1_0, 6)
    write_reference_blocks(T.TQ1_0, 64)
    write_dequant_mxfp4(48)
    write_reference_blocks(T.MXFP4, 256)
    # The grid i-quants (tables from gguf-py, as engine/tensor/gen_iq_grids.py uses them).
    write_dequant(T.IQ3_XXS, 8, own_stream=True)
    write_dequant(T.IQ2_XXS, 8, own_stream=True)
    write_dequant(T.IQ3_S, 8, own_stream=True)
    write_dequant(T.IQ2_XS, 8, own_stream=True)
    write_dequant(T.IQ2_S, 8, own_stream=True)
    write_dequant(T.IQ1_S, 8, own_stream=True)
    write_dequant(T.IQ1_M, 8, own_stream=True)
    write_model_rows(model_dir)
    total = sum(f.stat().st_size for f in OUT.glob("*.bin"))
    print(f"wrote {len(list(OUT.glob('*.bin')))} files, {total} bytes")


if __name__ == "__main__":
    main()
