"""Files our quantizer writes, read by llama.cpp's own Python reader.

Issue 17 asks that every recipe's file load in llama.cpp's reader with tensor
types llama.cpp defines. nibble-cli quantizes stories260K (F32) with each
recipe, and gguf-py's GGUFReader (the reference, from PyPI) reads the file
back: every tensor's type must be one gguf-py knows, its shape the source's,
and gguf-py's dequantization of our bytes must come back close to the source
weights (a wrong block layout would decode to noise), within each
precision's rounding error.

    gguf_py_reads_ours.py NIBBLE_CLI SOURCE_DIR

Exits 77 (CTest's skip) with a message when stories260K is not to be had.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import gguf
import numpy as np

# Recipe, extra arguments, and the largest relative RMS error a quantized
# matrix may show against its source (4-bit rounding is about 0.1 of a
# row's spread; Q8_0 about 0.005).
RECIPES = [
    ("Q8_0", [], 0.02),
    ("Q4_0", [], 0.2),
    ("Q4_K_M", [], 0.2),
    ("IQ4_XS", [], 0.2),
    ("Q4_0", ["--calibrate-default"], 0.2),
    ("Q4_K_M", ["--calibrate-default", "--compensate"], 0.3),
]


def find_model(source_dir: Path) -> Path | None:
    dirs = []
    if os.environ.get("NIBBLE_TEST_MODELS"):
        dirs.append(Path(os.environ["NIBBLE_TEST_MODELS"]))
    dirs.append(Path(os.environ.get("NIBBLE_MODEL_CACHE", Path.home() / ".cache/nibble/test-models")))
    dirs.append(source_dir.parent / "shared/models")
    for d in dirs:
        if (d / "stories260K.gguf").is_file():
            return d / "stories260K.gguf"
    return None


def weights(path: Path) -> dict:
    reader = gguf.GGUFReader(str(path))
    out = {}
    for t in reader.tensors:
        if not isinstance(t.tensor_type, gguf.GGMLQuantizationType):
            raise AssertionError(f"{path.name}: {t.name} has a type gguf-py does not define ({t.tensor_type})")
        values = gguf.dequantize(t.data, t.tensor_type).astype(np.float64)
        out[t.name] = (t.tensor_type, values.reshape(-1), tuple(int(n) for n in t.shape))
    return out


def main() -> int:
    cli, source_dir = Path(sys.argv[1]), Path(sys.argv[2])
    model = find_model(source_dir)
    if model is None:
        print("skipped: stories260K.gguf not found (NIBBLE_TEST_MODELS, ~/.cache/nibble/test-models, ../shared/models)")
        return 77
    source = weights(model)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for recipe, extra, bound in RECIPES:
            name = f"{recipe}{''.join(extra)}"
            out = Path(tmp) / f"{name}.gguf"
            subprocess.run([str(cli), "quantize", str(model), str(out), recipe, *extra], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ours = weights(out)
            if ours.keys() != source.keys():
                failures.append(f"{name}: tensors differ from the source's")
                continue
            quantized = 0
            worst = 0.0
            for tensor, (kind, values, shape) in ours.items():
                _, want, want_shape = source[tensor]
                if shape != want_shape:
                    failures.append(f"{name}: {tensor} has shape {shape}, the source {want_shape}")
                    continue
                if not np.all(np.isfinite(values)):
                    failures.append(f"{name}: {tensor} decodes to non-finite values")
                    continue
                if kind in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
                    continue
                quantized += 1
                error = np.sqrt(np.mean((values - want) ** 2)) / max(np.sqrt(np.mean(want**2)), 1e-12)
                worst = max(worst, error)
                if error > bound:
                    failures.append(f"{name}: {tensor} ({kind.name}) is {error:.3f} off its source (bound {bound})")
            types = sorted({kind.name for kind, _, _ in ours.values()})
            print(f"{name}: {quantized} quantized matrices read by gguf-py ({', '.join(types)}), "
                  f"worst relative error {worst:.4f}")
            if quantized == 0:
                failures.append(f"{name}: nothing was quantized")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
