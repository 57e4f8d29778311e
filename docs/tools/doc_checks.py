"""Checks of the documentation's own sources that gen_pages.py runs (problems fail the docs
build): what an instructor copies from the pages must be true of the repository."""
from __future__ import annotations

import re
from pathlib import Path


def check_manifest_examples(source: Path, problems) -> None:  # problems: gen_pages.Problems
    """A benchmark that a manifest example in docs/*.md names must exist (grader/bench/):
    instructors copy these examples."""
    defined = set()
    for bench in (source / "grader" / "bench").rglob("*_bench.cpp"):
        defined.update(re.findall(r"BENCHMARK\((\w+)\)", bench.read_text(encoding="utf-8")))
    for page in sorted((source / "docs").glob("*.md")):
        for block in re.findall(r"^```toml\n(.*?)^```", page.read_text(encoding="utf-8"), flags=re.M | re.S):
            for name in re.findall(r'^\s*benchmark\s*=\s*"(\w+)"', block, flags=re.M):
                if name not in defined:
                    problems.add(f"docs/{page.name}", f"the manifest example names benchmark {name}, "
                                 "which no grader/bench/*_bench.cpp defines")
