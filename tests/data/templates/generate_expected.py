#!/usr/bin/env python3
"""Writes expected/<case>.txt for every case in cases.json by rendering the
templates with Python's jinja2 set up as Hugging Face transformers does it
(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
tojson = json.dumps(ensure_ascii=False), raise_exception, strftime_now).

Built-in templates are read from engine/chat/builtin_templates.cpp, model
templates from the GGUF files (tokenizer.chat_template, or the built-in the
engine falls back to). Usage: generate_expected.py [models_dir]
"""
import json
import os
import re
import struct
import sys
from datetime import datetime

from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
MODELS = sys.argv[1] if len(sys.argv) > 1 and __name__ == "__main__" else os.path.expanduser("~/.cache/nibble/test-models")
FALLBACKS = {"SmolLM2-135M-Instruct.Q4_1.gguf": "chatml", "gemma-3-270m-q4_k_m.gguf": "gemma"}


def gguf_chat_template(path):
    with open(path, "rb") as f:
        _, _, _, kv_count = struct.unpack("<IIQQ", f.read(24))

        def string():
            (n,) = struct.unpack("<Q", f.read(8))
            return f.read(n).decode("utf-8")

        def value(t):
            if t == 8:
                return string()
            if t == 9:
                et, n = struct.unpack("<IQ", f.read(12))
                return [value(et) for _ in range(n)]
            fmt = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}[t]
            return struct.unpack("<" + fmt, f.read(struct.calcsize(fmt)))[0]

        for _ in range(kv_count):
            key = string()
            (t,) = struct.unpack("<I", f.read(4))
            v = value(t)
            if key == "tokenizer.chat_template":
                return v
    return None


def builtin_sources():
    text = open(os.path.join(ROOT, "engine", "chat", "builtin_templates.cpp"), encoding="utf-8").read()
    consts = dict(re.findall(r'constexpr std::string_view (k\w+) =\s*R"\((.*?)\)";', text, re.S))
    table = re.findall(r'\{"(\w+)", (k\w+)\}', text)
    return {name: consts[const] for name, const in table}


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def raise_exception(message):
        raise Exception(message)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env


def main():
    spec = json.load(open(os.path.join(HERE, "cases.json"), encoding="utf-8"))
    builtins = builtin_sources()
    env = environment()
    out_dir = os.path.join(HERE, "expected")
    os.makedirs(out_dir, exist_ok=True)
    for case in spec["cases"]:
        kind, ref = case["source"].split(":", 1)
        if kind == "model":
            source = gguf_chat_template(os.path.join(MODELS, ref)) or builtins[FALLBACKS[ref]]
        elif kind == "builtin":
            source = builtins[ref]
        else:
            source = open(os.path.join(HERE, ref), encoding="utf-8").read()
        variables = {
            "messages": spec["conversations"][case["conversation"]],
            "add_generation_prompt": case["generation"],
            "bos_token": case["bos"],
            "eos_token": case["eos"],
            "tools": spec["tools"] if case.get("tools") else None,
        }
        variables.update(case.get("variables", {}))
        text = env.from_string(source).render(**variables)
        with open(os.path.join(out_dir, case["name"] + ".txt"), "w", encoding="utf-8", newline="") as f:
            f.write(text)
        print(case["name"], len(text))


if __name__ == "__main__":
    main()
