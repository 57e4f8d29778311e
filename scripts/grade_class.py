#!/usr/bin/env python3
"""Grades a whole class from the instructors' side: one gradebook CSV.

    scripts/grade_class.py fetch --roster ROSTER --out DIR      clone or update every student's
                                                                repository, and record a snapshot
    scripts/grade_class.py grade --roster ROSTER --out DIR [--student NAME ...] [--lessons NN ...]
                                                                grade from what was fetched
    scripts/grade_class.py run   ...                            fetch, then grade

ROSTER is a CSV file with the columns `student` (a name made of letters, digits, '.', '_',
'-') and `repo` (a git URL or a local path): one row per student. Everything is written
below DIR: repos/STUDENT.git (mirrors), snapshots.csv, gradebook.csv, students/STUDENT/
(report.md and each graded commit's grades.json), work/ (one shared build tree).

Which commit is graded. Each lesson's `deadline` and the course's `[course.late]` policy come
from this repository's grader/course.toml. For a lesson, the graded commit is the newest
commit of the student's default branch (first parent) whose time is before the deadline plus
`max_days`; later than the deadline it is late by whole days, started days counting, and
loses `per_day_percent` of its points per day. A lesson without a deadline is graded at the
newest commit. A commit's time is its committer date, which the student controls; so every
`fetch` records a snapshot (the time, and the commit the branch was at), and a commit that a
snapshot shows was not pushed yet at time T counts as made after T, whatever its date says.
Schedule `fetch` at each deadline (.github/workflows/grade-class.yml does, hourly) and a
back-dated commit pushed after the deadline is late.

How it is graded: scripts/grade-pr.sh with this repository as the base (tests, hidden tests
included, manifest, grader, reference solutions) and the student's commit as the head, of
which only exercises/NN-topic/*.cpp is used. A student's changes anywhere else are listed
in the report and counted in the gradebook's `changes_outside_exercises` column; they change
no score. Grades stay in DIR: nothing is posted anywhere.

Exit status: 0 done (whatever the scores), 1 some student could not be fetched or graded
(said on stderr, the others are graded), 2 wrong arguments or roster.
"""
import argparse
import csv
import datetime as dt
import fnmatch
import json
import math
import pathlib
import re
import shutil
import subprocess
import sys
import tomllib

REPO = pathlib.Path(__file__).resolve().parent.parent
STUDENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
GRADEBOOK_COLUMNS = ["student", "lesson", "exercise", "points", "max_points", "raw_points", "commit", "time",
                     "late", "late_days", "penalty_percent", "changes_outside_exercises", "note"]
STUDENT_FILES = "exercises/[0-9][0-9]-*/*.cpp"


def say(text):
    print(f"grade-class: {text}", file=sys.stderr, flush=True)


def git(repo, *args, text=True):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=text).stdout


def utc(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_roster(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"student", "repo"} <= set(rows[0]):
        raise SystemExit(f"grade-class: {path}: needs the columns student,repo and one row per student")
    seen = set()
    for r in rows:
        if not STUDENT_NAME.match(r["student"] or "") or r["student"] in seen:
            raise SystemExit(f"grade-class: {path}: bad or repeated student name {r['student']!r}")
        seen.add(r["student"])
    return rows


# ------------------------------------------------------------------------ fetch

def fetch(roster, out, as_of=None):
    """Mirrors each student's repository and appends one snapshot row per student."""
    repos = out / "repos"
    repos.mkdir(parents=True, exist_ok=True)
    failed = 0
    rows = []
    for r in roster:
        mirror = repos / f"{r['student']}.git"
        try:
            if mirror.exists():
                git(mirror, "remote", "update", "--prune")
            else:
                subprocess.run(["git", "clone", "--quiet", "--mirror", r["repo"], str(mirror)], check=True,
                               capture_output=True, text=True)
            sha = git(mirror, "rev-parse", "HEAD").strip()
        except subprocess.CalledProcessError as e:
            say(f"{r['student']}: cannot fetch {r['repo']}: {(e.stderr or '').strip()[:300]}")
            failed += 1
            continue
        rows.append([r["student"], as_of or utc(dt.datetime.now(dt.timezone.utc)), sha])
    snapshots = out / "snapshots.csv"
    new = not snapshots.exists()
    with open(snapshots, "a", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["student", "time", "commit"])
        w.writerows(rows)
    say(f"fetched {len(rows)} of {len(roster)} repositories; snapshot recorded in {snapshots}")
    return failed


# ------------------------------------------------------------------------ choosing the commit

def parse_time(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def commit_times(mirror, snapshots):
    """[(sha, effective time, how)] of the default branch, newest first (first parent).

    The effective time is the committer date, unless a snapshot taken later than that date
    did not contain the commit: then the commit was pushed after that snapshot."""
    commits = []
    for line in git(mirror, "log", "--first-parent", "--format=%H %cI", "HEAD").splitlines():
        sha, date = line.split(" ", 1)
        commits.append([sha, parse_time(date), "committer date"])
    reachable_from = {}  # hourly snapshots repeat the same commit: list each one's history once
    for when, snap in sorted(snapshots):
        if snap not in reachable_from:
            try:
                reachable_from[snap] = set(git(mirror, "rev-list", snap).split())
            except subprocess.CalledProcessError:
                reachable_from[snap] = None  # a snapshot of a history since rewritten
        reachable = reachable_from[snap]
        if reachable is None:
            continue
        for c in commits:
            if c[0] not in reachable and when >= c[1]:  # pushed after `when`: a second later, at least
                c[1], c[2] = when + dt.timedelta(seconds=1), f"not yet pushed at the snapshot of {utc(when)}"
    return commits


def choose(commits, deadline, late):
    """(commit, time, how, late_days) graded for a deadline; None when nothing is in time."""
    if deadline is None:
        return (*commits[0], 0) if commits else None
    cutoff = deadline + dt.timedelta(days=late.get("max_days", 0))
    for sha, when, how in commits:
        if when <= cutoff:
            days = 0 if when <= deadline else math.ceil((when - deadline).total_seconds() / 86400)
            return sha, when, how, days
    return None


def changes_outside_exercises(mirror, sha):
    """The paths the student changed since the course was shipped (the first commit), other
    than exercises/NN-topic/*.cpp."""
    root = git(mirror, "rev-list", "--max-parents=0", sha).split()[-1]
    changed = git(mirror, "diff", "--name-only", root, sha).split("\n")
    return [p for p in changed if p and not (fnmatch.fnmatchcase(p, STUDENT_FILES) and p.count("/") == 2)]


# ------------------------------------------------------------------------ grading

def grade_commit(mirror, sha, lessons, out, opts):
    """Grades one commit's exercises for these lessons with grade-pr.sh; its grades.json."""
    head = out / "work" / "head"
    work = opts.work or out / "work" / "grade"
    shutil.rmtree(head, ignore_errors=True)
    head.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(mirror), "archive", "--format=tar", sha], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(head)], input=archive, check=True)
    cmd = [str(REPO / "scripts/grade-pr.sh"), "--base", str(REPO), "--head", str(head), "--out",
           str(work), "--reuse-build", "--lessons", " ".join(lessons), "--jobs", str(opts.jobs)]
    if opts.no_timing:
        cmd.append("--no-timing")
    if opts.sandbox_user:
        cmd += ["--sandbox-user", opts.sandbox_user]
    log = out / "work" / "grade-pr.log"
    with open(log, "w", encoding="utf-8") as f:
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode
    grades = work / "grades.json"
    if rc not in (0, 1) or not grades.exists():
        raise RuntimeError(f"grade-pr.sh stopped with exit status {rc} (log: {log})")
    summary = (work / "summary.md").read_text(encoding="utf-8")
    summary = summary.split("<details><summary>How this was graded")[0]  # its diff is against our own repo
    return json.loads(grades.read_text(encoding="utf-8")), summary


def gradebook_row(student, lesson, exercise, raw, max_points, commit="", time="", late_days=None, penalty=None,
                  outside="", note=""):
    """One row of gradebook.csv; without a commit, the exercise was not graded (empty columns)."""
    graded = bool(commit)
    return {"student": student, "lesson": lesson, "exercise": exercise,
            "points": round(raw * (1 - penalty / 100), 3) if graded else 0, "max_points": max_points,
            "raw_points": raw, "commit": commit, "time": time,
            "late": ("yes" if late_days else "no") if graded else "", "late_days": late_days if graded else "",
            "penalty_percent": f"{penalty:g}" if graded else "", "changes_outside_exercises": outside, "note": note}


def grade_student(student, mirror, course, snapshots, out, opts):
    late = course["course"].get("late", {})
    lessons = [l for l in course["lessons"] if not opts.lessons or l["id"] in opts.lessons]
    commits = commit_times(mirror, snapshots)
    plan = {}  # sha -> [lesson, ...]
    rows, report = [], [f"# {student}\n"]
    for lesson in lessons:
        deadline = lesson.get("deadline")
        picked = choose(commits, deadline, late)
        if picked is None:
            for ex in lesson["exercises"]:
                rows.append(gradebook_row(student, lesson["id"], ex["id"], 0, max_points=sum(
                    g["points"] for g in ex.get("tests", []) + ex.get("timing", [])),
                    note="no commit before the deadline and its late days"))
            report.append(f"## Lesson {lesson['id']}: nothing graded (no commit before the deadline and its late days)\n")
            continue
        plan.setdefault(picked[0], []).append((lesson, deadline, picked))
    for sha, items in plan.items():
        ids = [lesson["id"] for lesson, _, _ in items]
        say(f"{student}: grading lesson(s) {' '.join(ids)} at {sha[:12]}")
        grades, summary = grade_commit(mirror, sha, ids, out, opts)
        keep = out / "students" / student / sha[:12]
        keep.mkdir(parents=True, exist_ok=True)
        (keep / "grades.json").write_text(json.dumps(grades, indent=1) + "\n", encoding="utf-8")
        outside = changes_outside_exercises(mirror, sha)
        for lesson, deadline, (_, when, how, days) in items:
            penalty = min(100.0, days * late.get("per_day_percent", 0))
            graded = next(l for l in grades["lessons"] if l["id"] == lesson["id"])
            report.append(f"## Lesson {lesson['id']}: commit {sha[:12]}, {utc(when)} ({how})"
                          + (f", {days} day(s) late: -{penalty:g}%" if days else "") + "\n")
            for ex in graded["exercises"]:
                raw = ex["score"]
                rows.append(gradebook_row(student, lesson["id"], ex["id"], raw, max_points=ex["max_score"],
                                          commit=sha, time=utc(when), late_days=days, penalty=penalty,
                                          outside=len(outside), note="" if how == "committer date" else how))
        if outside:
            report.append("Changes outside `exercises/NN-topic/*.cpp` (not graded, not used):\n\n"
                          + "".join(f"- `{p}`\n" for p in outside[:50]) + "\n")
        report.append(summary)
    (out / "students" / student).mkdir(parents=True, exist_ok=True)
    (out / "students" / student / "report.md").write_text("\n".join(report), encoding="utf-8")
    return rows


def grade(roster, out, opts):
    course = tomllib.loads((REPO / "grader/course.toml").read_text(encoding="utf-8"))
    snapshots = {}
    if (out / "snapshots.csv").exists():
        with open(out / "snapshots.csv", newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                snapshots.setdefault(r["student"], []).append((parse_time(r["time"]), r["commit"]))
    chosen = [r for r in roster if not opts.student or r["student"] in opts.student]
    unknown = set(opts.student or []) - {r["student"] for r in roster}
    if unknown:
        raise SystemExit(f"grade-class: not in the roster: {', '.join(sorted(unknown))}")
    book = out / "gradebook.csv"
    rows = []
    if book.exists():  # a regrade of some students keeps everybody else's rows
        with open(book, newline="", encoding="utf-8") as f:
            regraded = {r["student"] for r in chosen}
            rows = [r for r in csv.DictReader(f) if r["student"] not in regraded]
    failed = 0
    for r in chosen:
        mirror = out / "repos" / f"{r['student']}.git"
        if not mirror.exists():
            say(f"{r['student']}: not fetched (run fetch first)")
            failed += 1
            continue
        try:
            rows += grade_student(r["student"], mirror, course, snapshots.get(r["student"], []), out, opts)
        except (RuntimeError, subprocess.CalledProcessError) as e:
            say(f"{r['student']}: could not grade: {e}")
            failed += 1
    order = {r["student"]: i for i, r in enumerate(roster)}
    rows.sort(key=lambda r: (order.get(r["student"], len(order)), r["lesson"]))
    with open(book, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=GRADEBOOK_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    say(f"gradebook: {book} ({len(rows)} rows); reports: {out / 'students'}/STUDENT/report.md")
    return failed


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("action", choices=["fetch", "grade", "run"])
    p.add_argument("--roster", required=True, type=pathlib.Path)
    p.add_argument("--out", required=True, type=pathlib.Path)
    p.add_argument("--student", action="append", help="grade only this student (repeatable): a regrade")
    p.add_argument("--lessons", nargs="+", help="grade only these lessons (ids: 01 02)")
    p.add_argument("--no-timing", action="store_true", help="skip the timing comparisons")
    p.add_argument("--sandbox-user", help="(as root) run the student's code as this user (grade-pr.sh)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--work", type=pathlib.Path, help="grade-pr.sh's folder and its build tree (default: OUT/work/grade; "
                                                     "kept between runs, so that only what changed is built)")
    p.add_argument("--as-of", help="fetch: record the snapshot at this UTC time instead of now "
                                   "(a snapshot taken by other means; the tests use it)")
    opts = p.parse_args()
    roster = read_roster(opts.roster)
    out = opts.out.resolve()
    if opts.work:
        opts.work = opts.work.resolve()
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    if opts.action in ("fetch", "run"):
        failed += fetch(roster, out, opts.as_of)
    if opts.action in ("grade", "run"):
        failed += grade(roster, out, opts)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
