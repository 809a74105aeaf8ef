"""Make the quality gate's sample of the three development corpora, shipped under tests/corpus_sample/.

    python benchmarks/sample_corpora.py [--every wcxb=20,news-fundus=6,trafeval=20]

Takes every Nth page of each corpus in ../shared/corpus (index order), with its truth, keeping
each corpus's layout, licence and credit, so that the gate in tests/unit/test_quality_gate.py
runs in a fresh clone too. Re-run it, then re-pin the gate's floors, when a corpus changes.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO.parent / "shared" / "corpus"
TARGET = REPO / "tests" / "corpus_sample"
EVERY = {"wcxb": 20, "news-fundus": 6, "trafeval": 20}
CREDITS = {
    "wcxb": "WCXB, the Web Content eXtraction Benchmark (Murrough Foley, 2026), development split; "
            "CC-BY-4.0 (see LICENSE).",
    "news-fundus": "News pages and their truth from the parser test fixtures of fundus (flairNLP/fundus, "
                   "MIT License, Copyright (c) 2023 Max Dallabetta, Conrad Dobberstein, Aaron Wey). The pages "
                   "belong to their publishers; used for measuring extraction only.",
    "trafeval": "trafilatura's evaluation set (adbar/trafilatura, tests/evaldata.json and tests/eval/, "
                "Apache License 2.0). The pages belong to their publishers; used for measuring extraction only.",
}


def sample(name: str, every: int) -> int:
    source, target = SOURCE / name, TARGET / name
    if target.exists():
        shutil.rmtree(target)
    (target / "html").mkdir(parents=True)
    (target / "truth").mkdir()
    lines = [line for line in (source / "index.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    kept = [line for number, line in enumerate(lines) if number % every == 0]
    for line in kept:
        page_id = json.loads(line)["id"]
        shutil.copy(source / "html" / f"{page_id}.html.gz", target / "html")
        shutil.copy(source / "truth" / f"{page_id}.json", target / "truth")
    (target / "index.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")
    if (source / "LICENSE").exists():
        shutil.copy(source / "LICENSE", target / "LICENSE")
    (target / "README.md").write_text(
        f"# {name}: every {every}th page of the development corpus\n\n{CREDITS[name]}\n\n"
        f"Made by `benchmarks/sample_corpora.py` from `../shared/corpus/{name}/` (its README describes the "
        "layout and the truth).\n", encoding="utf-8")
    return len(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", default=",".join(f"{k}={v}" for k, v in EVERY.items()))
    args = parser.parse_args()
    for item in args.every.split(","):
        name, every = item.split("=")
        print(f"{name}: {sample(name, int(every))} pages")


if __name__ == "__main__":
    main()
