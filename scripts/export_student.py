#!/usr/bin/env python3
"""Makes the students' copy of the course from this, the instructors' repository.

    ./course export-student DIR [--ref REF] [--no-git]

The copy is what students clone: the lessons, the exercises' skeletons, the runtime, the
grader and the tests they may see. Left out (INSTRUCTORS_ONLY below): the reference
solutions, the hidden tests (grader/tests/NN-topic/hidden/ and the manifest's groups marked
`hidden = true`), the grader's self-tests, the course's own CI and the instructors' guide.
Markdown keeps what students should read: text between `<!-- instructors-only -->` and
`<!-- /instructors-only -->` is removed, and a `<!-- student-copy: TEXT -->` comment is
replaced by TEXT. grader/student-copy/ is laid over the copy (its own workflow).

The copy builds and grades: the manifest says `edition = "student"`, CMake builds the
lessons without reference objects, and the grader defers the timing entries that compare
with the reference solution (they are measured when the instructors grade: docs/grading.md).
Before it finishes, the export checks that no file of the copy has the content of a
solution or of a hidden test, wherever it was put. Exit status: 0 done, 1 a check failed,
2 wrong arguments.
"""
import argparse
import fnmatch
import hashlib
import io
import pathlib
import re
import subprocess
import sys
import tarfile
import tomllib

REPO = pathlib.Path(__file__).resolve().parent.parent

# Paths (fnmatch patterns, relative to the root) that stay in the instructors' repository.
INSTRUCTORS_ONLY = [
    "reference/solutions",
    "grader/tests/*/hidden",
    "grader/selftest",
    "grader/student-copy",
    "grader/roster*.csv",
    "docs/*",  # the site is built and published from the instructors' repository ...
    ".ci",
    ".github",
    "CONTRIBUTING.md",
    "scripts/export_student.py",
    "scripts/test-export-student.sh",
    "scripts/grade_class.py",
    "scripts/test-grade-class.sh",
    "scripts/class-state.sh",
    "scripts/check-lib.sh",
    "scripts/gradescope",
    "scripts/grade-pr.sh",
    "scripts/test-grade-pr.sh",
    "scripts/pr-comment.cjs",
    "scripts/test-pr-comment.cjs",
    "scripts/lint-workflows.*",
]
KEPT_BELOW_REMOVED = ["docs/grading.md"]  # ... but how grading works is for students too

# What a student may never receive, by content: checked over every file of the copy.
SECRET_DIRS = ["reference/solutions", "grader/tests/*/hidden"]

INSTRUCTORS_BLOCK = re.compile(r"<!-- instructors-only -->.*?<!-- /instructors-only -->\n?", re.S)
STUDENT_TEXT = re.compile(r"<!-- student-copy:\s*(.*?)\s*-->", re.S)


def say(text):
    print(f"export-student: {text}", file=sys.stderr)


def matches(rel, patterns):
    """True when rel is one of the patterns or below one of them."""
    parts = rel.split("/")
    return any(fnmatch.fnmatchcase("/".join(parts[:n]), p) for p in patterns for n in range(1, len(parts) + 1))


def tracked_files(ref):
    """The files of REF as {relative path: bytes} (the committed course, not the work tree)."""
    tar = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", ref], check=True,
                         capture_output=True).stdout
    files = {}
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        for m in t.getmembers():
            if m.isfile():
                files[m.name] = (t.extractfile(m).read(), m.mode)
    return files


def student_manifest(text):
    """The manifest without hidden test groups, marked as the students' edition."""
    blocks, current = [], []
    for line in text.splitlines(keepends=True):
        if re.match(r"\s*\[", line) and current:
            blocks.append(current)
            current = []
        current.append(line)
    blocks.append(current)
    kept = []
    for block in blocks:
        header = block[0].strip()
        if header.startswith("[[lessons.exercises.tests]]") and any(
                re.match(r"\s*hidden\s*=\s*true\b", line) for line in block):
            continue
        if header.startswith("[course]") and not header.startswith("[course."):
            block = [block[0], 'edition = "student"   # made by ./course export-student: no reference solutions\n'] + [
                line for line in block[1:] if not re.match(r"\s*edition\s*=", line)]
        kept.append(block)
    return "".join(line for block in kept for line in block)


def student_markdown(text):
    text = INSTRUCTORS_BLOCK.sub("", text)
    return STUDENT_TEXT.sub(lambda m: m.group(1), text)


def export(ref, dest, make_git):
    files = tracked_files(ref)
    secrets = {hashlib.sha256(data).hexdigest(): rel for rel, (data, _) in files.items()
               if matches(rel, SECRET_DIRS) and data.strip()}
    out = {}
    for rel, (data, mode) in files.items():
        if matches(rel, INSTRUCTORS_ONLY) and rel not in KEPT_BELOW_REMOVED:
            continue
        out[rel] = (data, mode)
    overlay = "grader/student-copy/"
    for rel, (data, mode) in files.items():
        if rel.startswith(overlay):
            out[rel[len(overlay):]] = (data, mode)

    manifest = "grader/course.toml"
    original = tomllib.loads(files[manifest][0].decode())
    out[manifest] = (student_manifest(files[manifest][0].decode()).encode(), files[manifest][1])
    for rel, (data, mode) in list(out.items()):
        if rel.endswith(".md"):
            out[rel] = (student_markdown(data.decode()).encode(), mode)

    # The checks: the manifest lost exactly its hidden groups, and nothing secret is left.
    problems = []
    copy = tomllib.loads(out[manifest][0].decode())

    def groups(m, hidden):
        return [(e["id"], g["name"]) for lesson in m.get("lessons", []) for e in lesson.get("exercises", [])
                for g in e.get("tests", []) if g.get("hidden", False) == hidden]
    if groups(copy, True):
        problems.append(f"hidden groups left in the manifest: {groups(copy, True)}")
    if groups(copy, False) != groups(original, False):
        problems.append("the manifest's visible groups changed in the copy")
    if copy["course"].get("edition") != "student":
        problems.append("the manifest does not say edition = \"student\"")
    for rel, (data, _) in out.items():
        if hashlib.sha256(data).hexdigest() in secrets:
            problems.append(f"{rel} has the content of {secrets[hashlib.sha256(data).hexdigest()]}")
        if matches(rel, SECRET_DIRS):
            problems.append(f"{rel} is in the copy")
    if problems:
        for p in problems:
            say(f"CHECK FAILED: {p}")
        return 1

    for rel, (data, mode) in sorted(out.items()):
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode & 0o777)
    left_out = [r for r in files if matches(r, INSTRUCTORS_ONLY) and r not in KEPT_BELOW_REMOVED]
    say(f"{dest}: {len(out)} files; left out {len(left_out)} (solutions, {len(groups(original, True))} hidden test "
        "group(s), self-tests, CI, the instructors' guide)")
    if make_git:
        sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", ref], check=True, capture_output=True,
                             text=True).stdout.strip()
        git = ["git", "-C", str(dest), "-c", "user.name=Course", "-c", "user.email=course@localhost"]
        subprocess.run(git + ["init", "-q", "-b", "main"], check=True)
        subprocess.run(git + ["add", "-A"], check=True)
        subprocess.run(git + ["commit", "-q", "-m", f"The course, as shipped to students (from {sha})"], check=True)
        say(f"{dest}: a git repository with one commit; push it as the students' template repository")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dest", type=pathlib.Path, help="the new folder (must not exist, or be empty)")
    p.add_argument("--ref", default="HEAD", help="the commit to export (default HEAD: the committed course)")
    p.add_argument("--no-git", action="store_true", help="files only, no git repository")
    a = p.parse_args()
    dest = a.dest.resolve()
    if dest.exists() and any(dest.iterdir()):
        say(f"{dest} exists and is not empty")
        return 2
    if a.ref == "HEAD" and subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                                          capture_output=True, text=True).stdout.strip():
        say("note: uncommitted changes are not in the copy (it is made from HEAD)")
    dest.mkdir(parents=True, exist_ok=True)
    return export(a.ref, dest, not a.no_git)


if __name__ == "__main__":
    sys.exit(main())
