#!/usr/bin/env python3
"""Makes the Gradescope autograder bundle of one assignment (a zip to upload).

    ./course gradescope-bundle OUT.zip --lessons 01 [02 ...] [--no-timing] [--ref REF]

The zip holds setup.sh and run_autograder (this folder's), assignment.conf (the lessons,
timing on or off) and course/, this repository at REF (default HEAD): its tests, hidden
tests, manifest, grader, runtime and reference solutions. Gradescope keeps the bundle
from students. scripts/gradescope/selftest.sh runs a bundle as Gradescope would.
"""
import argparse
import io
import pathlib
import subprocess
import sys
import tarfile
import tomllib
import zipfile

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
HERE = pathlib.Path(__file__).resolve().parent


def add(z, name, data, executable=False):
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("out", type=pathlib.Path)
    p.add_argument("--lessons", nargs="+", required=True, help="the lessons this assignment grades (ids: 01 02)")
    p.add_argument("--no-timing", action="store_true", help="no timing comparisons ([course.gradescope] "
                                                            "unmeasured_timing decides their points)")
    p.add_argument("--ref", default="HEAD")
    a = p.parse_args()
    tar = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", a.ref], check=True,
                         capture_output=True).stdout
    manifest = None
    with zipfile.ZipFile(a.out, "w") as z:
        add(z, "setup.sh", (HERE / "setup.sh").read_bytes(), executable=True)
        add(z, "run_autograder", (HERE / "run_autograder").read_bytes(), executable=True)
        add(z, "assignment.conf", f'LESSONS="{" ".join(a.lessons)}"\nTIMING={0 if a.no_timing else 1}\n')
        with tarfile.open(fileobj=io.BytesIO(tar)) as t:
            for m in t.getmembers():
                if m.isfile():
                    data = t.extractfile(m).read()
                    add(z, "course/" + m.name, data, executable=bool(m.mode & 0o111))
                    if m.name == "grader/course.toml":
                        manifest = tomllib.loads(data.decode())
    lessons = {l["id"]: l for l in manifest["lessons"]}
    unknown = [x for x in a.lessons if x not in lessons]
    if unknown:
        a.out.unlink()
        sys.exit(f"gradescope-bundle: no lesson {', '.join(unknown)} in grader/course.toml")
    total = sum(g["points"] for x in a.lessons for e in lessons[x]["exercises"]
                for g in e.get("tests", []) + e.get("timing", []))
    print(f"gradescope-bundle: {a.out}: lesson(s) {' '.join(a.lessons)}, {total:g} points. In Gradescope: a "
          f"programming assignment of {total:g} points, Ubuntu base image, this zip as its autograder.",
          file=sys.stderr)


if __name__ == "__main__":
    main()
