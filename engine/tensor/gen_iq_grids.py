#!/usr/bin/env python3
"""Writes the lookup grids of the grid-based i-quants (IQ1_S, IQ1_M, IQ2_XXS,
IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S) for the engine and the shaders.

Each grid is a fixed table of short vectors (8 or 4 small values) that a
block's indices pick from. The tables are data of the format, not ours to
invent, and Nibble copies no third-party source into the repository, so they
come at build time from gguf-py (`pip install gguf`, MIT), the format's
reference package, whose quants.py holds every grid in packed form (grid_map,
grid_hex) and dequantizes with it. scripts/setup installs the pinned version
into the venv CMake runs this with (NIBBLE_PYTHON).

  gen_iq_grids.py --cpp OUT.h     C++: each grid as its values, [entries][elements]
  gen_iq_grids.py --glsl OUT.glsl GLSL: each grid as 16-bit codes, two to a uint,
                                  element k of a code in bits F*k .. F*k + F - 1
                                  (F = 16 / elements) indexing the grid's levels

It also checks what the decoders compute instead of looking up: the sign
table ksigns (byte i is i with bit 7 set when i has an odd number of bits set)
and IQ1's delta.
"""
import argparse
import importlib.metadata
import sys
from pathlib import Path

import numpy as np
from gguf import quants

# (C++ name, GLSL name, gguf-py class) of each grid. IQ1_M shares IQ1_S's grid.
GRIDS = [
    ("kIq2xxsGrid", "IQ2XXS", quants.IQ2_XXS),
    ("kIq2xsGrid", "IQ2XS", quants.IQ2_XS),
    ("kIq2sGrid", "IQ2S", quants.IQ2_S),
    ("kIq3xxsGrid", "IQ3XXS", quants.IQ3_XXS),
    ("kIq3sGrid", "IQ3S", quants.IQ3_S),
    ("kIq1sGrid", "IQ1S", quants.IQ1_S),
]


def fail(message):
    sys.exit(f"gen_iq_grids.py: {message}")


def grid_indices(cls):
    """The grid as indices into cls.grid_map, shape (entries, elements), decoded by gguf-py itself."""
    cls.init_grid()
    values = np.asarray(cls.grid, dtype=np.float32).reshape(cls.grid_shape)
    levels = np.array(cls.grid_map, dtype=np.float32)
    indices = np.searchsorted(levels, values)
    if not np.array_equal(levels[np.minimum(indices, len(levels) - 1)], values):
        fail(f"{cls.__name__}: a grid value is not one of its grid_map levels")
    return indices


def check_derived():
    ksigns = np.frombuffer(quants.IQ2_XXS.ksigns, dtype=np.uint8)
    expected = [i | (0x80 if bin(i).count("1") % 2 else 0) for i in range(128)]
    if list(ksigns) != expected:
        fail("gguf-py's ksigns is no longer 'i plus an even-parity bit 7'; the decoders compute it that way")
    if quants.IQ1_S.delta != 0.125 or quants.IQ1_M.delta != 0.125:
        fail("gguf-py's IQ1 delta is no longer 0.125 (kIq1Delta in the generated header)")
    if quants.IQ1_M.grid_hex != quants.IQ1_S.grid_hex:
        fail("IQ1_M no longer shares IQ1_S's grid")


def header_comment(prefix):
    version = importlib.metadata.version("gguf")
    return (f"{prefix} Generated at build time by engine/tensor/gen_iq_grids.py from gguf-py {version}\n"
            f"{prefix} (gguf/quants.py, MIT): the lookup grids of the grid-based i-quants. Do not edit.\n")


def cpp_text():
    out = ["#pragma once\n", header_comment("//"), "#include <cstdint>\n\nnamespace nibble::blocks {\n\n"]
    out.append("// IQ1_S and IQ1_M add +-kIq1Delta to every grid value of a group.\n")
    out.append(f"inline constexpr float kIq1Delta = {float(quants.IQ1_S.delta)!r}f;\n\n")
    for cpp_name, _, cls in GRIDS:
        indices = grid_indices(cls)
        levels = [int(v) for v in cls.grid_map]
        entries, elements = indices.shape
        element_type = "int8_t" if min(levels) < 0 else "uint8_t"
        out.append(f"// {cls.__name__}: {entries} groups of {elements} values from {{{', '.join(map(str, levels))}}}.\n")
        out.append(f"inline constexpr {element_type} {cpp_name}[{entries}][{elements}] = {{\n")
        for row in indices:
            out.append("    {" + ", ".join(str(levels[i]) for i in row) + "},\n")
        out.append("};\n\n")
    out.append("}  // namespace nibble::blocks\n")
    return "".join(out)


def glsl_text():
    out = [header_comment("//"), "#ifndef NIBBLE_IQ_GRIDS_GLSL\n#define NIBBLE_IQ_GRIDS_GLSL\n\n"]
    out.append("// IQ1_S and IQ1_M add +-IQ1_DELTA to every grid value of a group.\n")
    out.append(f"const float IQ1_DELTA = {float(quants.IQ1_S.delta)!r};\n\n")
    for _, name, cls in GRIDS:
        indices = grid_indices(cls)
        entries, elements = indices.shape
        field = 16 // elements
        codes = [sum(int(i) << (field * k) for k, i in enumerate(row)) for row in indices]
        words = [codes[2 * w] | (codes[2 * w + 1] << 16) for w in range(entries // 2)]
        levels = [float(v) for v in cls.grid_map]
        out.append(f"// {cls.__name__}: {entries} groups of {elements} values, each a {field}-bit index "
                   f"into {name}_LEVELS.\n")
        out.append(f"const uint {name}_FIELD = {field}u;\n")
        out.append(f"const float {name}_LEVELS[{len(levels)}] = float[{len(levels)}]("
                   + ", ".join(f"{v:.1f}" for v in levels) + ");\n")
        out.append(f"const uint {name}_GRID[{len(words)}] = uint[{len(words)}](\n")
        for start in range(0, len(words), 8):
            chunk = ", ".join(f"0x{w:08x}u" for w in words[start:start + 8])
            out.append(f"    {chunk}{',' if start + 8 < len(words) else ''}\n")
        out.append(");\n\n")
    out.append("#endif\n")
    return "".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--cpp", type=Path)
    group.add_argument("--glsl", type=Path)
    args = parser.parse_args()
    check_derived()
    path = args.cpp or args.glsl
    text = cpp_text() if args.cpp else glsl_text()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


if __name__ == "__main__":
    main()
