#!/usr/bin/env python3
"""Renders the app icon for Windows (nibble.ico) and macOS (Nibble.icns) from
io.github.nibble.Nibble.svg. Both files are committed, so Windows and macOS
builds need no SVG renderer; run this again after changing the SVG.
Needs rsvg-convert (Debian: librsvg2-bin)."""
import struct
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SVG = HERE / "io.github.nibble.Nibble.svg"
INSTALLER = HERE.parent


def render(size: int, work: Path) -> bytes:
    out = work / f"{size}.png"
    subprocess.run(["rsvg-convert", "--width", str(size), "--height", str(size), "--output", str(out), str(SVG)],
                   check=True)
    return out.read_bytes()


def write_ico(path: Path, pngs: dict[int, bytes]) -> None:
    # PNG-compressed entries, as Windows has read them since Vista; 256 is stored as 0.
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, data = b"", b""
    for size in sizes:
        png = pngs[size]
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset + len(data))
        data += png
    path.write_bytes(header + entries + data)


def write_icns(path: Path, pngs: dict[int, bytes]) -> None:
    # Element types holding PNG data, by pixel size (the @2x ones share a size).
    types = [(b"icp4", 16), (b"icp5", 32), (b"ic11", 32), (b"icp6", 64), (b"ic12", 64), (b"ic07", 128),
             (b"ic08", 256), (b"ic13", 256), (b"ic09", 512), (b"ic14", 512), (b"ic10", 1024)]
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in types)
    path.write_bytes(b"icns" + struct.pack(">I", 8 + len(body)) + body)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pngs = {size: render(size, work) for size in (16, 24, 32, 48, 64, 128, 256, 512, 1024)}
        write_ico(INSTALLER / "windows" / "nibble.ico", {s: pngs[s] for s in (16, 24, 32, 48, 64, 256)})
        write_icns(INSTALLER / "macos" / "Nibble.icns", pngs)


if __name__ == "__main__":
    main()
