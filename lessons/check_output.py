#!/usr/bin/env python3
"""Runs a lesson's example and compares what it prints with what it should print.

    check_output.py PROGRAM EXPECTED [--timeout SECONDS]

EXPECTED is either
  NAME.expected   the exact standard output, byte for byte; or
  NAME.pattern    one Python regular expression per line of output, for
                  examples whose output varies (pids): each output line must
                  match its pattern entirely (re.fullmatch), and the line
                  counts must agree.
Standard error is not compared (it is shown when the check fails). Exit
status 0 when the output matches, 1 when it does not, 2 when the program
could not run or ran past the timeout.
"""
import argparse
import difflib
import re
import subprocess
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("program")
    ap.add_argument("expected")
    ap.add_argument("--timeout", type=float, default=30.0)
    args = ap.parse_args()

    try:
        run = subprocess.run([args.program], capture_output=True, timeout=args.timeout, check=False)
    except subprocess.TimeoutExpired:
        print(f"{args.program}: still running after {args.timeout:g} s (a hang?)", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{args.program}: cannot run it: {e}", file=sys.stderr)
        return 2
    out = run.stdout.decode("utf-8", "replace")
    err = run.stderr.decode("utf-8", "replace")

    with open(args.expected, encoding="utf-8") as f:
        expected = f.read()

    problems = []
    if run.returncode != 0:
        problems.append(f"exit status {run.returncode} (expected 0)")
    if args.expected.endswith(".pattern"):
        patterns = expected.splitlines()
        lines = out.splitlines()
        if len(lines) != len(patterns):
            problems.append(f"{len(lines)} lines of output, {len(patterns)} expected")
        for i, (line, pattern) in enumerate(zip(lines, patterns), start=1):
            if not re.fullmatch(pattern, line):
                problems.append(f"line {i}: {line!r} does not match {pattern!r}")
    elif out != expected:
        diff = difflib.unified_diff(expected.splitlines(keepends=True), out.splitlines(keepends=True),
                                    fromfile=args.expected, tofile="actual output")
        problems.append("the output differs:\n" + "".join(diff))

    if problems:
        print(f"{args.program}:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        if err:
            print("its standard error:\n" + err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
