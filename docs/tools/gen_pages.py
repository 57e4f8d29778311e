#!/usr/bin/env python3
"""Generates the documentation site's pages from the course itself (docs/CMakeLists.txt runs it
before Doxygen, at every `docs` build, so the site cannot drift from the course):

  index.md        the front page: the course map, from grader/course.toml (lessons, exercises,
                  points, thresholds) and the lessons/ folders, with links to each lesson page and
                  to the API each lesson teaches
  lessonNN.md     lessons/NN-topic/README.md made into the Doxygen page `lessonNN`: headings get
                  ids (`lessonNN_<github-anchor>`), links are fixed for the site, code blocks that
                  are an example file are replaced by \\include of that file, and every example is
                  shown at the end from its compiled source (with its expected output)
  *.md            docs/*.md but README.md (instructors.md, grading.md), beside the others so that
                  links between them resolve; links to docs pages not written yet become plain text
  api.dox         the Doxygen groups `lessonNN_api` ("the API lesson NN teaches") and `core_api`,
                  with the public headers and their classes assigned to them by the table API (api_groups.py)

Code in a README follows the lessons' convention (lessons/check_snippets.py, which checks at
every test run that each quoted block matches its file): an HTML comment before a block says
where it comes from, and the page shows it FROM THAT FILE, so the site cannot drift either:
    <!-- example: examples/x.cpp -->       the file without its leading comment (the Python original)
    <!-- example: examples/x.cpp#tag -->   Doxygen's \snippet between `//! [tag]` markers
    <!-- python: examples/x.cpp -->        the Python original from the file's leading comment
    <!-- excerpt: ../../path -->           consecutive lines of a file (shown as the README has them)
    <!-- fragment -->                      an illustration, not compiled (shown as it is)
Examples no block shows are shown whole at the end of the page, with their expected output.

Usage: gen_pages.py --source REPO --out DIR [--manifest FILE] [--repo-url URL] [--ref BRANCH]
Exit status 1 (with every problem listed) when a quoted block has drifted from its file or the
manifest cannot be read.
"""
from __future__ import annotations

import argparse
import html
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

# A quoted example is cut from its file by the rules the lessons' checker applies, so that the
# site shows exactly what the tests compared with the README.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lessons"))
from check_snippets import leading_comment_split, python_original  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_groups import PYTHON_OF_LESSON, api_groups, write_api_dox  # noqa: E402
from doc_checks import check_manifest_examples  # noqa: E402

# HTML tags Doxygen understands in Markdown; any other `<word>` in a README's prose is text
# (a template argument, say) and is escaped so Doxygen does not warn about an unknown tag.
HTML_TAGS = {
    "a", "b", "i", "em", "strong", "code", "kbd", "br", "p", "div", "span", "img", "sup", "sub",
    "pre", "small", "u", "s", "strike", "del", "ins", "table", "tr", "td", "th", "thead", "tbody",
    "ul", "ol", "li", "dl", "dt", "dd", "details", "summary", "blockquote", "hr", "h1", "h2", "h3",
    "h4", "h5", "h6", "center", "caption", "tt", "var",
}


class Problems(list):
    def add(self, where: str, what: str) -> None:
        self.append(f"{where}: {what}")


@dataclass
class Lesson:
    nn: str
    dir: str                      # "01-processes"
    title: str
    manifest: dict | None = None  # the [[lessons]] table
    has_readme: bool = False
    examples: list[Path] = field(default_factory=list)

    @property
    def page(self) -> str:
        return f"lesson{self.nn}"


# --------------------------------------------------------------------------- helpers

def github_slug(text: str, seen: dict[str, int]) -> str:
    """The anchor GitHub gives a heading (so manifest `section` links keep working)."""
    text = re.sub(r"`|\*\*|__", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
    n = seen.get(slug, 0)
    seen[slug] = n + 1
    return slug if n == 0 else f"{slug}-{n}"


def label(page: str, slug: str) -> str:
    return f"{page}_" + re.sub(r"[^A-Za-z0-9_]", "_", slug)


def exercise_points(ex: dict) -> tuple[int, int]:
    """(correctness points, timing points) of one [[lessons.exercises]] table."""
    tests = sum(int(t.get("points", 0)) for t in ex.get("tests", []))
    timing = sum(int(t.get("points", 0)) for t in ex.get("timing", []))
    return tests, timing


def md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def escape_prose(text: str) -> str:
    """Escapes what Doxygen would take for a command or an HTML tag, outside code spans."""
    out = []
    for i, part in enumerate(re.split(r"(`+[^`]*`+)", text)):
        if i % 2 == 1:
            if "'" in part:  # Doxygen 1.9.4 ends a code span at `...' (its LaTeX-style quotes)
                inner = html.escape(part.strip("`"), quote=False)
                part = "<code>" + re.sub(r"([\\@])", r"\\\1", inner) + "</code>"
            out.append(part)
            continue
        part = re.sub(r"(?<!\\)([\\@])(?=[A-Za-z{}\\@&$#<>%.\"\-:|])", r"\\\1", part)

        def tag(m: re.Match) -> str:
            name = m.group(2).lower()
            return m.group(0) if name in HTML_TAGS else "&lt;" + m.group(1) + m.group(2)

        part = re.sub(r"<(/?)([A-Za-z_][\w:]*)", tag, part)
        out.append(part)
    return "".join(out)


def at_ref(target: str, text: str) -> str:
    """A link to a Doxygen page or section, in the one form whose text Doxygen 1.9.4 renders
    right (plain text: no code spans, no quotes)."""
    text = text.replace("`", "").replace('"', "'").replace("\\", "")
    return f'@ref {target} "{text}"'


def code_spans_to_html(text: str) -> str:
    return re.sub(r"`([^`]+)`", lambda m: "<code>" + html.escape(m.group(1), quote=False) + "</code>", text)


def strong_to_html(line: str) -> str:
    """`**`code` words**` and `**"quoted"**` as <b>...</b>: Doxygen 1.9.4 leaves the `**` of
    a bold that starts with a code span or a quote on the page, as literal stars."""
    def strong(m: re.Match) -> str:
        return "<b>" + code_spans_to_html(m.group(1)) + "</b>"
    return re.sub(r"\*\*([`\"][^*]*?)\*\*", strong, line)


def heading_text(text: str) -> str:
    """A heading's text for Doxygen, which shows code spans in headings as raw <tt> tags."""
    return escape_prose(text.replace("`", ""))


def snippet_of(text: str, tag: str) -> str | None:
    """The lines between two `//! [tag]` markers, as Doxygen's \\snippet shows them."""
    parts = re.split(r"^.*//!?\s*\[" + re.escape(tag) + r"\].*$\n?", text, flags=re.M)
    return parts[1] if len(parts) >= 3 else None


# --------------------------------------------------------------------------- the course

def load_course(source: Path, manifest_path: Path, problems: Problems) -> tuple[dict, list[Lesson]]:
    course: dict = {}
    by_nn: dict[str, Lesson] = {}
    if manifest_path.exists():
        try:
            data = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            problems.add(str(manifest_path), f"cannot be read: {e}")
            data = {}
        course = data.get("course", {})
        for entry in data.get("lessons", []):
            nn = str(entry.get("id", "")).zfill(2)
            d = entry.get("dir", "")
            by_nn[nn] = Lesson(nn=nn, dir=d, title=entry.get("title", d), manifest=entry)
    for d in sorted((source / "lessons").glob("[0-9][0-9]-*")):
        if not d.is_dir():
            continue
        nn = d.name[:2]
        lesson = by_nn.setdefault(nn, Lesson(nn=nn, dir=d.name, title=d.name[3:].replace("-", " ").capitalize()))
        lesson.dir = lesson.dir or d.name
    for lesson in by_nn.values():
        d = source / "lessons" / lesson.dir
        lesson.has_readme = (d / "README.md").exists()
        if lesson.has_readme:  # the Lessons page shows the README's title, the course map the manifest's
            first = (d / "README.md").read_text(encoding="utf-8").split("\n", 1)[0]
            heading = re.sub(r"^#\s*Lesson\s+\d\d\s*[—:-]\s*", "", first).strip()
            if lesson.manifest and heading != lesson.title:
                problems.add(f"lessons/{lesson.dir}/README.md:1",
                             f"the title '{heading}' is not the manifest's '{lesson.title}' (grader/course.toml)")
        lesson.examples = sorted((d / "examples").glob("*.cpp")) if (d / "examples").is_dir() else []
    return course, [by_nn[k] for k in sorted(by_nn)]


def lesson_nav(lesson: Lesson, lessons: list[Lesson], groups_of: dict[str, str]) -> str:
    pages = [x for x in lessons if x.has_readme]
    i = pages.index(lesson)
    bits = ['@ref index "Course map"']
    if i > 0:
        bits.append(f'← @ref {pages[i - 1].page} "Lesson {pages[i - 1].nn}: {pages[i - 1].title}"')
    if i + 1 < len(pages):
        bits.append(f'@ref {pages[i + 1].page} "Lesson {pages[i + 1].nn}: {pages[i + 1].title}" →')
    if lesson.nn in groups_of:
        bits.append(f'API of this lesson: @ref {groups_of[lesson.nn]}')
    return '<div class="lesson-nav">' + " · ".join(bits) + "</div>\n"


class LessonConverter:
    def __init__(self, source: Path, lesson: Lesson, lessons: list[Lesson], groups_of: dict[str, str],
                 course_anchors: dict[str, dict[str, str]], repo_url: str, ref: str, problems: Problems):
        self.source, self.lesson, self.lessons = source, lesson, lessons
        self.groups_of, self.anchors, self.problems = groups_of, course_anchors, problems
        self.repo_url, self.ref = repo_url.rstrip("/"), ref
        self.dir = source / "lessons" / lesson.dir
        self.readme = self.dir / "README.md"
        self.included: dict[Path, tuple[str, str]] = {}  # example → (section label, heading) showing it
        self.section: tuple[str, str] = (lesson.page, lesson.title)

    # links ------------------------------------------------------------------------------
    def fix_link(self, target: str, text: str) -> str:
        """A README link made into a link that works on the site."""
        if re.match(r"^[a-z]+:", target):
            if "`" in text:  # Doxygen 1.9.4 shows `code` in a Markdown link's text as is
                return f'<a href="{html.escape(target)}">{code_spans_to_html(text)}</a>'
            return f"[{text}]({target})"
        path, _, anchor = target.partition("#")
        if not path:  # a heading of this lesson
            return self.ref_to(self.lesson, anchor, text)
        resolved = Path(os.path.normpath(self.dir / path))  # lexically: the repo may hold symlinks
        try:
            rel = resolved.relative_to(self.source)
        except ValueError:
            return text
        parts = rel.parts
        if len(parts) >= 2 and parts[0] == "lessons":
            other = next((x for x in self.lessons if x.dir == parts[1]), None)
            if other and other.has_readme and (len(parts) == 2 or parts[2] == "README.md"):
                return self.ref_to(other, anchor, text)
            if other and len(parts) == 4 and parts[2] == "examples" and resolved.suffix == ".cpp":
                return at_ref(label(other.page, "example_" + resolved.stem), text) if other is self.lesson \
                    else self.ref_to(other, "", text)
        if rel.parts[:3] == ("reference", "include", "mp") and rel.suffix == ".hpp" and "detail" not in rel.parts:
            return at_ref('/'.join(rel.parts[2:]), text)
        if rel.parts[:1] == ("docs",) and rel.suffix == ".md":
            return f"[{text}]({rel.name})"
        if self.repo_url:
            return f"[{text}]({self.repo_url}/blob/{self.ref}/{rel.as_posix()}{'#' + anchor if anchor else ''})"
        return f"{text} (`{rel.as_posix()}`)" if text.strip("`") != rel.as_posix() else f"`{rel.as_posix()}`"

    def image(self, alt: str, target: str) -> str | None:
        """A README's picture from docs/diagrams or docs/timelines (`../../docs/diagrams/NAME.svg`,
        the path GitHub shows) as the site shows it: by its name, which Doxygen finds in IMAGE_PATH and copies
        beside the page. None for any other picture."""
        if re.match(r"^[a-z]+:", target):
            return None
        path = Path(os.path.normpath(self.dir / target))
        if path.parent not in (self.source / "docs" / "diagrams", self.source / "docs" / "timelines"):
            return None
        if not path.is_file():
            self.problems.add(str(self.readme), f"the diagram {target} does not exist "
                              "(render it: python3 docs/tools/render_diagrams.py)")
        return f"![{alt}]({path.name})"

    def ref_to(self, lesson: Lesson, anchor: str, text: str) -> str:
        target = self.anchors[lesson.nn][anchor] if anchor and anchor in self.anchors.get(lesson.nn, {}) \
            else lesson.page
        return at_ref(target, text)

    def prose(self, line: str) -> str:
        """One line of prose: links fixed, Doxygen's special characters escaped."""
        out, pos = [], 0
        for m in re.finditer(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", line):
            out.append(escape_prose(line[pos:m.start()]))
            if m.group(1):  # an image: a diagram by its name (IMAGE_PATH has docs/diagrams), others as they are
                out.append(self.image(m.group(2), m.group(3)) or m.group(0))
            else:
                out.append(self.fix_link(m.group(3), escape_prose(m.group(2))))
            pos = m.end()
        out.append(escape_prose(line[pos:]))
        return "".join(out)

    # code blocks --------------------------------------------------------------------------
    def code_block(self, lang: str, body: list[str], marker: tuple[str, str, str] | None, where: str) -> list[str]:
        """A fenced block of the README, rendered from the file its marker names."""
        as_is = ["```" + (lang or "text"), *body, "```"]
        if not marker or marker[0] in ("fragment", "excerpt"):
            return as_is
        kind, file, tag = marker
        path = Path(os.path.normpath(self.dir / file))
        if not path.is_file():
            self.problems.add(where, f"the quoted file {file} does not exist")
            return as_is
        rel = path.relative_to(self.source / "lessons").as_posix() if path.is_relative_to(self.source / "lessons") \
            else None
        text = path.read_text(encoding="utf-8")
        if kind == "python":
            python = python_original(text)
            return ["```python", *python, "```"] if python else as_is
        if tag:  # example: file#tag
            if snippet_of(text, tag) is None or rel is None:
                self.problems.add(where, f"no `//! [{tag}]` markers in {file}")
                return as_is
            return [self.caption(path, tag), "", f"\\snippet{{lineno}} {rel} {tag}"]
        _, code = leading_comment_split(text)
        if path in self.lesson.examples:
            self.included.setdefault(path, self.section)
        while code and not code[-1].strip():
            code.pop()
        return [self.caption(path), "", "```cpp", *code, "```"]

    def caption(self, path: Path, tag: str = "") -> str:
        what = f"from <code>examples/{path.name}</code>" if tag else f"<code>examples/{path.name}</code>"
        return (f'<div class="example-caption">{what} (built as <code>lesson{self.lesson.nn}_{path.stem}</code>; '
                'shown from the compiled file)</div>')

    # the page -----------------------------------------------------------------------------
    def convert(self) -> str:
        lines = self.readme.read_text(encoding="utf-8").splitlines()
        out: list[str] = []
        seen: dict[str, int] = {}
        fence: str | None = None
        lang, body, marker, marker_line = "", [], None, 0
        pending_marker: tuple[str, str, str] | None = None
        have_title = False
        nav = lesson_nav(self.lesson, self.lessons, self.groups_of)
        for n, line in enumerate(lines, 1):
            if fence is not None:
                if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                    out.extend(self.code_block(lang, body, marker, f"{self.readme}:{marker_line}"))
                    fence, body, marker = None, [], None
                else:
                    body.append(line)
                continue
            m = re.match(r"^\s*(```+|~~~+)\s*([\w+#-]*)", line)
            if m:
                fence, lang, body, marker, marker_line = m.group(1), m.group(2).lower(), [], pending_marker, n
                pending_marker = None
                continue
            mk = re.match(r"^\s*<!--\s*(example|python|excerpt|fragment)\s*:?\s*(\S*)\s*-->\s*$", line)
            if mk:
                file, _, tag = mk.group(2).partition("#")
                pending_marker = (mk.group(1), file, tag)
                continue
            if line.strip() and pending_marker:
                self.problems.add(f"{self.readme}:{n}", "a quote marker must be followed by a code block")
                pending_marker = None
            h = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if h:
                level, text = len(h.group(1)), h.group(2)
                slug = github_slug(text, seen)
                if level == 1 and not have_title:
                    have_title = True
                    out.append(f"# {heading_text(text)} {{#{self.lesson.page}}}")
                    out.append("")
                    out.append(nav)
                    out.extend(self.exercises_box())
                else:
                    out.append(f"{h.group(1)} {self.prose(text.replace('`', ''))} {{#{label(self.lesson.page, slug)}}}")
                    self.section = (label(self.lesson.page, slug), re.sub(r"[`*_\[\]]", "", text))
                continue
            out.append(self.prose(strong_to_html(line)))
        if fence is not None:
            self.problems.add(f"{self.readme}:{marker_line}", "a code block is not closed")
        if not have_title:
            out[:0] = [f"# Lesson {self.lesson.nn}: {self.lesson.title} {{#{self.lesson.page}}}", "", nav,
                       *self.exercises_box()]
        out.extend(self.examples_section())
        out.extend(["", "---", "", nav])
        return "\n".join(out) + "\n"

    def exercises_box(self) -> list[str]:
        exercises = (self.lesson.manifest or {}).get("exercises", [])
        if not exercises:
            return []
        rows = ["", "| Exercise | Kind | Points (tests + timing) |", "|---|---|---:|"]
        for ex in exercises:
            t, s = exercise_points(ex)
            anchor = section_anchor(ex, self.lesson, self.anchors)
            name = at_ref(anchor, ex.get('id', '?')) if anchor else f"`{ex.get('id', '?')}`"
            rows.append(f"| {name}: {md_cell(ex.get('title', ''))} | {ex.get('kind', '')} | {t} + {s} |")
        rows.append("")
        return rows

    def examples_section(self) -> list[str]:
        rest = [ex for ex in self.lesson.examples if ex not in self.included]
        if not self.lesson.examples:
            return []
        out = ["", f"## The examples of this lesson {{#{label(self.lesson.page, 'examples')}}}", ""]
        out.append(f"Each one is built as `lesson{self.lesson.nn}_<name>` and run by `./course` (the tour); "
                   "the code shown is the compiled file itself, and CI checks that each prints what is below.")
        for ex in self.lesson.examples:
            rel = f"{self.lesson.dir}/examples/{ex.name}"
            out += ["", f"### {ex.name} {{#{label(self.lesson.page, 'example_' + ex.stem)}}}", ""]
            if ex in rest:
                out.append(f"\\include{{lineno}} {rel}")
            else:
                where, heading = self.included[ex]
                out.append(f"Shown in full in {at_ref(where, heading)}.")
            expected = ex.with_suffix(".expected")
            if expected.exists():
                out += ["", "It prints:", "", f"\\verbinclude {self.lesson.dir}/examples/{expected.name}"]
        return out


def section_anchor(ex: dict, lesson: Lesson, anchors: dict[str, dict[str, str]]) -> str | None:
    """The page label of an exercise's `section` (README.md#anchor) in the manifest."""
    section = ex.get("section", "")
    _, _, anchor = section.partition("#")
    if not lesson.has_readme:
        return None
    return anchors.get(lesson.nn, {}).get(anchor, lesson.page) if anchor else lesson.page


def heading_anchors(source: Path, lesson: Lesson) -> dict[str, str]:
    """GitHub anchors of a README's headings → the page labels gen_pages gives them."""
    result: dict[str, str] = {}
    seen: dict[str, int] = {}
    fence = None
    first = True
    for line in (source / "lessons" / lesson.dir / "README.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*(```+|~~~+)", line)
        if m:
            fence = None if fence and m.group(1).startswith(fence) else (fence or m.group(1))
            continue
        if fence:
            continue
        h = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if h:
            slug = github_slug(h.group(2), seen)
            if len(h.group(1)) == 1 and first:
                first = False
                result[slug] = lesson.page
            else:
                result[slug] = label(lesson.page, slug)
    return result


def write_index(out: Path, course: dict, lessons: list[Lesson], groups, anchors, manifest: Path,
                source: Path, docs_pages: list[str]) -> None:
    groups_of = {lesson.nn: g for g, _, lesson, _ in groups if lesson}
    title = course.get("title", "Concurrency and parallelism in C++20, for Python programmers")
    total = 0
    rows = []
    for lesson in lessons:
        name = (f'@ref {lesson.page} "{lesson.nn}: {md_cell(lesson.title)}"' if lesson.has_readme
                else f"{lesson.nn}: {md_cell(lesson.title)} <em>(page to come)</em>")
        exercises = (lesson.manifest or {}).get("exercises", [])
        cells, pts = [], 0
        for ex in exercises:
            t, s = exercise_points(ex)
            pts += t + s
            anchor = section_anchor(ex, lesson, anchors)
            exname = f'@ref {anchor} "{ex.get("id", "?")}"' if anchor else f"`{ex.get('id', '?')}`"
            cells.append(f"{exname} ({ex.get('kind', '?')}, {t + s} pts)")
        total += pts
        api = f"@ref {groups_of[lesson.nn]}" if lesson.nn in groups_of else "—"
        rows.append((lesson.nn, f"| {name} | {'<br>'.join(cells) if cells else '—'} | {pts if exercises else '—'} | "
                                f"{api} | {PYTHON_OF_LESSON.get(lesson.nn, '')} |"))
    # The runtime may teach a lesson whose folder is not there yet (pools, executors): a row
    # for it too, so instructors see that its API exists.
    have = {lesson.nn for lesson in lessons}
    for group, group_title, lesson, _ in groups:
        m = re.match(r"Lesson (\d\d): (.*)", group_title)
        if lesson is None and m and m.group(1) not in have:
            rows.append((m.group(1), f"| {m.group(1)}: {md_cell(m.group(2))} <em>(page to come)</em> | — | — | "
                                     f"@ref {group} | {PYTHON_OF_LESSON.get(m.group(1), '')} |"))
    rows = [row for _, row in sorted(rows)]
    text = [f"# {escape_prose(title)}", ""]
    text.append("A graded course that teaches concurrency the way Python programmers meet it — "
                "`multiprocessing`, `threading`, `concurrent.futures`, `asyncio` — in modern C++20, with "
                "**mp**, a runtime whose API mirrors Python's. Students read a lesson, run its examples, "
                "complete its exercises and grade themselves with `./course`; CI grades their pull requests; "
                "instructors read this site.")
    text.append("")
    grading = (source / "docs" / "grading.md").exists()  # linked as grading.md: copied beside index.md
    text.append("- **Students:** start at the first lesson below; every lesson ends with exercises.")
    text.append("- **Instructors:** @ref instructors \"the instructors' guide\" (points, thresholds, CI, "
                "collecting grades, adding a lesson)"
                + (", and [how grading works](grading.md)." if grading else "."))
    text.append("- **The runtime's reference:** the API of each lesson (table below), the "
                "[classes](annotated.html) and the [headers](files.html).")
    text += ["", "## Course map {#course_map}", ""]
    if not manifest.exists():
        text += [f"<em>The grader's manifest (`{manifest.relative_to(source) if manifest.is_relative_to(source) else manifest}`)"
                 " is not there yet: exercises and points appear here once it is.</em>", ""]
    text += ["| Lesson | Exercises (kind, points) | Points | API it teaches | Python |",
             "|---|---|---:|---|---|", *rows, ""]
    if manifest.exists():
        text.append(f"**{total} points** in all. Timing credit is full at a threshold and falls linearly to 0 at "
                    f"{course.get('timing_zero_at', 2.0)}× the threshold; it counts only when the exercise's "
                    "correctness tests pass.")
        text.append("")
    for lesson in lessons:
        exercises = (lesson.manifest or {}).get("exercises", [])
        if not exercises:
            continue
        head = f'@ref {lesson.page} "Lesson {lesson.nn}: {md_cell(lesson.title)}"' if lesson.has_readme \
            else f"Lesson {lesson.nn}: {md_cell(lesson.title)}"
        text += [f"### Lesson {lesson.nn} in detail {{#course_map_{lesson.nn}}}", "", head, "",
                 "| Exercise | What is graded | Points |", "|---|---|---:|"]
        for ex in exercises:
            anchor = section_anchor(ex, lesson, anchors)
            exname = f'@ref {anchor} "{ex.get("id", "?")}"' if anchor else f"`{ex.get('id', '?')}`"
            for t in ex.get("tests", []):
                what = (f"tests: {md_cell(t.get('name', ''))} (run {t.get('runs', 1)}×, "
                        f"{t.get('timeout_s', '?')} s limit each)")
                text.append(f"| {exname}: {md_cell(ex.get('title', ''))} | {what} | {t.get('points', 0)} |")
            for t in ex.get("timing", []):
                if t.get("kind") == "speedup":
                    what = (f"speed-up of `{t.get('benchmark')}` over `{t.get('baseline')}` ≥ "
                            f"{t.get('threshold_per_core')} × min(cores, {t.get('max_workers')})")
                else:
                    what = f"`{t.get('benchmark')}` time ≤ {t.get('threshold')} × the reference's"
                text.append(f"| {exname} | timing: {what} | {t.get('points', 0)} |")
        text.append("")
    text += ["## The runtime's API, by lesson {#api_by_lesson}", ""]
    for group, gtitle, lesson, headers in groups:
        text.append(f"- @ref {group} — " + ", ".join(f"`mp/{h}`" for h in headers))
    text.append("")
    (out / "index.md").write_text("\n".join(text) + "\n", encoding="utf-8")

    # The navigation tree: Doxygen 1.9.4 leaves the main page's subpages out of it, so the lessons
    # hang under a page of their own ("a_": it sorts before the other pages), in course order,
    # and the other docs pages under the instructors' guide.
    listing = ["# Lessons {#lessons}", "", 'In course order; the @ref index "course map" has their exercises and points.', ""]
    listing += [f"- @subpage {lesson.page}" for lesson in lessons if lesson.has_readme]
    listing += [f"- Lesson {lesson.nn}: {md_cell(lesson.title)} (page to come)" for lesson in lessons
                if not lesson.has_readme]
    (out / "a_lessons.md").write_text("\n".join(listing) + "\n", encoding="utf-8")
    others = [label for label in docs_pages if label != "instructors"]
    if "instructors" in docs_pages and others:
        with open(out / "instructors.md", "a", encoding="utf-8") as f:
            f.write("\n## More for instructors {#instructors_more}\n\n" +
                    "".join(f"- @subpage {label}\n" for label in others))


def write_docs_pages(out: Path, source: Path, repo_url: str = "", ref: str = "main") -> list[str]:
    """docs/*.md (but README.md) copied beside the generated pages, so that links between all of
    them resolve; a link to a docs page that is not there yet becomes plain text. Returns the
    copies' page labels (their first heading's {#label}, or Doxygen's md_<name>)."""
    labels = []
    present = {p.name for p in (source / "docs").glob("*.md") if p.name != "README.md"}
    for name in sorted(present):
        text = (source / "docs" / name).read_text(encoding="utf-8")

        def link(m: re.Match) -> str:
            target = m.group(2)
            path = target.partition("#")[0]
            if m.group(0).startswith("!") or re.match(r"^[a-z]+:|^@ref|^#", target):
                return m.group(0)
            if path in present:  # Doxygen resolves `page.md` but not `page.md#anchor`
                frag = target.partition("#")[2]
                if not frag:
                    return m.group(0)
                labels = re.findall(r"\{#([\w-]+)\}", (source / "docs" / path).read_text(encoding="utf-8"))
                return at_ref(frag, m.group(1)) if frag in labels else f"[{m.group(1)}]({path})"
            if path.endswith(".md") and "/" not in path:
                return f"{m.group(1)} (`docs/{target}`, not written yet)"
            # Any other file of the repository: to the repository's web view, or named as text.
            rel = Path(os.path.normpath(Path("docs") / path)).as_posix()
            if rel.startswith("../"):
                return m.group(1)
            if repo_url:
                return f"[{m.group(1)}]({repo_url.rstrip('/')}/blob/{ref}/{rel})"
            return m.group(1) if m.group(1).strip("`") == rel else f"{m.group(1)} (`{rel}`)"

        text = re.sub(r"!?\[([^\]]+)\]\(([^)\s]+)\)", link, text)
        lines, fenced = [], False
        for line in text.split("\n"):
            if line.lstrip().startswith("```"):
                fenced = not fenced
            lines.append(line if fenced else strong_to_html(line))
        text = "\n".join(lines)
        (out / name).write_text(text, encoding="utf-8")
        first = re.search(r"^#\s+.*?\{#([\w-]+)\}\s*$", text, flags=re.M)
        labels.append(first.group(1) if first else "md_" + re.sub(r"\W", "_", Path(name).stem))
    return labels


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, required=True, help="the repository's root")
    ap.add_argument("--out", type=Path, required=True, help="where to write the pages")
    ap.add_argument("--manifest", type=Path, help="default: SOURCE/grader/course.toml")
    ap.add_argument("--repo-url", default="", help="links to repository files go there (…/blob/REF/path)")
    ap.add_argument("--ref", default="main")
    args = ap.parse_args()
    source = args.source.resolve()
    manifest = (args.manifest or source / "grader" / "course.toml").resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("lesson*.md"):
        old.unlink()

    problems = Problems()
    course, lessons = load_course(source, manifest, problems)
    groups = api_groups(source, lessons)
    groups_of = {lesson.nn: g for g, _, lesson, _ in groups if lesson}
    anchors = {lesson.nn: heading_anchors(source, lesson) for lesson in lessons if lesson.has_readme}
    for lesson in lessons:
        if not lesson.has_readme:
            print(f"gen_pages: lessons/{lesson.dir}/README.md is not there yet: no page for lesson {lesson.nn}",
                  file=sys.stderr)
            continue
        conv = LessonConverter(source, lesson, lessons, groups_of, anchors, args.repo_url, args.ref, problems)
        (args.out / f"{lesson.page}.md").write_text(conv.convert(), encoding="utf-8")
    write_api_dox(args.out, source, groups, problems)
    docs_pages = write_docs_pages(args.out, source, args.repo_url, args.ref)
    check_manifest_examples(source, problems)
    write_index(args.out, course, lessons, groups, anchors, manifest, source, docs_pages)
    for p in problems:
        print(f"gen_pages: error: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
