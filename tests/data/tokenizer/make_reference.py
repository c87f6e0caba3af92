#!/usr/bin/env python3
"""Fills the reference token ids in cases.json from llama.cpp's own tokenizer.

Usage: make_reference.py REFERENCE_TOKENIZE MODEL_DIR

REFERENCE_TOKENIZE is reference_tokenize.cpp (beside this script) built
against libllama; it prints the ids llama_tokenize() gives for the text on
its standard input. The ids in cases.json were made this way with the
llama.cpp vendored by llama-cpp-python 0.3.36 (PyPI sdist), CPU build.
"""
import json
import pathlib
import subprocess
import sys

MODELS = {
    "stories260K": "stories260K.gguf",
    "smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "gemma3": "gemma-3-270m-q4_k_m.gguf",
}


def main():
    tool, model_dir = sys.argv[1], pathlib.Path(sys.argv[2])
    path = pathlib.Path(__file__).with_name("cases.json")
    cases = json.loads(path.read_text(encoding="utf-8"))
    for case in cases:
        case["ids"] = {}
        for key, file in MODELS.items():
            if case.get("only") and key not in case["only"]:
                continue
            out = subprocess.run(
                [tool, str(model_dir / file), str(int(case["addSpecial"])), str(int(case["parseSpecial"]))],
                input=case["text"].encode("utf-8"), capture_output=True, check=True)
            case["ids"][key] = [int(t) for t in out.stdout.split()]
    # One case per block, each id list on one line, so diffs stay readable.
    blocks = []
    for case in cases:
        ids = case.pop("ids")
        head = json.dumps(case, ensure_ascii=False)[:-1]
        lists = ",\n".join(f'  "{k}": {json.dumps(v)}' for k, v in ids.items())
        blocks.append(f'{head}, "ids": {{\n{lists}\n}}}}')
    path.write_text("[\n" + ",\n".join(blocks) + "\n]\n", encoding="utf-8")


if __name__ == "__main__":
    main()
