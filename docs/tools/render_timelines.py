#!/usr/bin/python3
"""The lessons' pictures of real runs: traces (docs/timelines/lessonNN_NAME.json, written by
`./course trace EXAMPLE`) drawn as timelines (NAME.svg) by scripts/trace_timeline.py, and the
pool's speed-up per worker count (pool_speedup.svg, from one run's benchmark figures,
pool_speedup.mp.json and pool_speedup.python.json) drawn by scripts/bench_plot.py.

  render_timelines.py                  draws each picture to the committed .svg beside its data
                                       (GitHub shows those from the lesson READMEs)
  render_timelines.py --out DIR        draws them into DIR: the docs build does, so the site's
                                       pictures are drawn from the runs' data at docs-build time
  render_timelines.py --check          CTest `docs_timelines`: every trace is valid against the
                                       Chrome trace event format's schema (trace_event.schema.json,
                                       what Perfetto and chrome://tracing read), every picture has
                                       its .svg, and the .svg is what its data draws today

"What the data draws" compares what does not depend on matplotlib's version: the ids of the
drawn bars, lines and bands (trace_timeline.py gives each a gid: task-PID-TID, lost-PID,
counter-NAME, ...; bench_plot.py its lines) and every text of the picture (row names, labels,
ticks, title), as multisets.

Needs Debian's python3-matplotlib and python3-jsonschema (scripts/setup.sh --docs): hence
/usr/bin/python3. Exit status: 0 all good, 1 a picture is invalid, missing or out of date
(each listed), 2 a tool is missing.
"""
from __future__ import annotations

import argparse
import collections
import html
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMELINES = ROOT / "docs" / "timelines"
DRAW = ROOT / "scripts" / "trace_timeline.py"
BENCH_PLOT = ROOT / "scripts" / "bench_plot.py"
# Pictures that are not traces: their .svg name, and bench_plot.py's inputs in the same folder.
FIGURES = {"pool_speedup.svg": ["--mp", "pool_speedup.mp.json", "--python", "pool_speedup.python.json"]}
SCHEMA = TIMELINES / "trace_event.schema.json"
GID = re.compile(r'<g id="((?:task|lost|span|wait|life|counter)-[^"]*|mp|python)"')
TEXT = re.compile(r"<text[^>]*>(.*?)</text>", re.S)


def draw(source: Path, out: Path) -> str | None:
    """Draws one picture to `out`: a trace (titled with its name), or a FIGURES entry named by
    its .svg (`source`, inputs beside it); the error, or None."""
    if source.name in FIGURES:
        argv = [str(BENCH_PLOT)] + [a if a.startswith("--") else str(source.parent / a) for a in FIGURES[source.name]]
        argv += ["--out", str(out)]
    else:
        argv = [str(DRAW), str(source), str(out), "--title", source.stem]
    run = subprocess.run([sys.executable, *argv], capture_output=True, text=True)
    return None if run.returncode == 0 else (run.stderr.strip() or f"exit {run.returncode}")


def content(svg: str) -> collections.Counter:
    """What a timeline shows, independent of matplotlib's version: its drawn ids and its texts."""
    ids = [("id", re.sub(r"_\d+$", "", g)) for g in GID.findall(svg)]  # matplotlib may suffix repeats
    texts = [("text", html.unescape(re.sub(r"<[^>]+>", "", t)).strip()) for t in TEXT.findall(svg)]
    return collections.Counter(ids + [t for t in texts if t[1]])


def validate(trace: Path, validator) -> list[str]:
    """The trace's departures from the format's schema (at most five named)."""
    try:
        data = json.loads(trace.read_text(encoding="utf-8"))
    except ValueError as e:
        return [f"{trace.name} is not JSON: {e}"]
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{trace.name}: at {'/'.join(map(str, e.absolute_path)) or 'the top'}: {e.message}" for e in errors[:5]]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=TIMELINES, help="the traces' folder (default: docs/timelines)")
    ap.add_argument("--out", type=Path, help="draw into this folder instead of beside the traces")
    ap.add_argument("--check", action="store_true", help="check the traces and their .svg files")
    args = ap.parse_args()
    traces = sorted(args.dir.glob("lesson*.json"))
    figures = [args.dir / name for name in FIGURES if (args.dir / name.replace(".svg", ".mp.json")).exists()]
    problems: list[str] = []
    if not traces:
        problems.append(f"no traces in {args.dir}")
    if args.check:
        try:
            import jsonschema
        except ImportError:
            print("render_timelines: jsonschema is missing (Debian: python3-jsonschema; "
                  "scripts/setup.sh --docs installs it)", file=sys.stderr)
            return 2
        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
        with tempfile.TemporaryDirectory() as tmp:
            for trace in traces + figures:
                if trace.suffix == ".json":
                    problems += validate(trace, validator)
                committed = trace.with_suffix(".svg")
                if not committed.exists():
                    problems.append(f"{committed.name} is missing: draw it")
                    continue
                fresh = Path(tmp) / committed.name
                error = draw(trace, fresh)
                if error:
                    problems.append(f"{trace.name}: {error}")
                    continue
                want, have = content(fresh.read_text(encoding="utf-8")), content(committed.read_text(encoding="utf-8"))
                if want != have:
                    diff = [f"{k} {v!r} only in a fresh drawing" for k, v in sorted((want - have).elements())]
                    diff += [f"{k} {v!r} only in the .svg" for k, v in sorted((have - want).elements())]
                    problems.append(f"{committed.name} is out of date with {trace.name}: " + "; ".join(diff[:6])
                                    + (f" (and {len(diff) - 6} more)" if len(diff) > 6 else ""))
        for orphan in sorted(set(args.dir.glob("*.svg")) - {t.with_suffix(".svg") for t in traces + figures}):
            problems.append(f"{orphan.name} has no {orphan.stem}.json (the run it draws)")
    else:
        out = args.out or args.dir
        out.mkdir(parents=True, exist_ok=True)
        for trace in traces + figures:
            error = draw(trace, out / trace.with_suffix(".svg").name)
            if error:
                problems.append(f"{trace.name}: {error}")
            else:
                print(f"render_timelines: {out / trace.with_suffix('.svg').name}")
    for p in problems:
        print(f"render_timelines: {'FAILED' if args.check else 'error'}: {p}", file=sys.stderr)
    if args.check and not problems:
        print(f"render_timelines: {len(traces)} timelines and {len(figures)} figure(s), every trace valid and "
              "every .svg up to date")
    if problems and args.check:
        print("render_timelines: draw them with `docs/tools/render_timelines.py`", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
