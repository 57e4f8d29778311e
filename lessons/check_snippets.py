#!/usr/bin/env python3
"""Checks that the code shown in the lessons is the code that runs.

    check_snippets.py [--root REPO] [--fix] [README.md ...]

Without README arguments it checks every lessons/NN-topic/README.md. In a
README, every ```cpp block must be introduced by one of these HTML comments
(invisible on GitHub), on the line before the block's opening fence:

  <!-- example: examples/hello_bob.cpp -->
        The block is the whole file, except its leading comment lines (the
        Python original, which the README shows in its own block) and the
        blank lines after them.
  <!-- example: examples/two_cakes.cpp#bake -->
        The block is the snippet between two marker lines `//! [bake]` in the
        file (Doxygen's \\snippet convention), markers excluded.
  <!-- python: examples/hello_bob.cpp -->
        (on a ```python block) The block is the Python original in the
        file's leading comment: the lines after `// Python...:`, without
        their `//   ` prefix.
  <!-- excerpt: ../../exercises/01-processes/run_all.hpp -->
        The block appears in the file as consecutive lines (leading and
        trailing blank lines of the block ignored).
  <!-- fragment -->
        An illustration that is deliberately not compiled (what *not* to do,
        or a few lines out of context). Not checked.

Paths are relative to the README. It also checks that every
examples/*.cpp of the lesson is shown (by an example: or python: block),
that the page's links to its own headings (#anchor) and to files exist,
and with --manifest, that every exercise's `section` in the course
manifest points to a README heading that exists (GitHub's anchors).
With --fix, an example: or python: block that differs from its file is
rewritten from the file (after a change of the example or of its format).
Exit status: 0 when everything matches, 1 otherwise (each problem printed
as FILE:LINE: message).
"""
import argparse
import pathlib
import re
import sys

MARKER = re.compile(r"^\s*<!--\s*(example|python|excerpt|fragment)\s*:?\s*(\S*)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")


def leading_comment_split(text: str):
    """(comment lines, the rest) of a source file: its leading // lines."""
    lines = text.splitlines()
    i = 0
    while i < len(lines) and lines[i].lstrip().startswith("//"):
        i += 1
    comment = lines[:i]
    while i < len(lines) and not lines[i].strip():
        i += 1
    return comment, lines[i:]


def python_original(text: str):
    """The lines after `// Python...:` in the leading comment, without their `//   ` prefix."""
    comment, _ = leading_comment_split(text)
    out, inside = [], False
    for line in comment:
        body = line.lstrip()[2:]  # without "//"
        if not inside:
            inside = body.strip().startswith("Python") and body.rstrip().endswith(":")
            continue
        if body.startswith("   "):
            out.append(body[3:])
        elif not body.strip():
            out.append("")
        else:
            break
    return out


def snippet(text: str, name: str):
    lines = text.splitlines()
    marks = [i for i, l in enumerate(lines) if l.strip() in (f"//! [{name}]", f"// [{name}]")]
    if len(marks) != 2:
        return None
    body = lines[marks[0] + 1:marks[1]]
    indent = min((len(l) - len(l.lstrip()) for l in body if l.strip()), default=0)
    return [l[indent:] for l in body]


def strip_blank_ends(lines):
    lines = list(lines)
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return [l.rstrip() for l in lines]


def github_slugs(markdown: str):
    """The anchors GitHub makes for the headings of a markdown file."""
    slugs, seen, in_fence = set(), {}, False
    for line in markdown.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if in_fence or not m:
            continue
        s = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(s, 0)
        seen[s] = n + 1
        slugs.add(s if n == 0 else f"{s}-{n}")
    return slugs


def blocks(readme: pathlib.Path):
    """(line number, marker kind, marker argument, language, block lines, fence indent, closing
    fence's index) of each fenced block."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang, start = m.group(2), m.group(3).lower(), i
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        k = start - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        mk = MARKER.match(lines[k]) if k >= 0 else None
        indent = len(m.group(1))
        body = [l[indent:] if l[:indent].strip() == "" else l for l in lines[start + 1:j]]
        yield start + 1, (mk.group(1) if mk else None), (mk.group(2) if mk else ""), lang, body, indent, j
        i = j + 1


def check_readme(readme: pathlib.Path, problems: list, fix: bool = False):
    shown = set()
    fixes = []  # (first body index, closing fence index, indent, new body lines)
    for line, kind, arg, lang, body, indent, end in blocks(readme):
        where = f"{readme}:{line}"
        if kind is None:
            if lang in ("cpp", "c++", "cxx"):
                problems.append(f"{where}: a cpp block without a marker: precede it with "
                                "<!-- example: examples/FILE.cpp --> (or excerpt:, or fragment)")
            continue
        if kind == "fragment":
            continue
        path, _, name = arg.partition("#")
        source = (readme.parent / path).resolve()
        if not path or not source.is_file():
            problems.append(f"{where}: {kind}: no such file: {path!r}")
            continue
        text = source.read_text(encoding="utf-8")
        if kind in ("example", "python") and source.parent == (readme.parent / "examples").resolve():
            shown.add(source.name)
        if kind == "example":
            want = snippet(text, name) if name else leading_comment_split(text)[1]
            if want is None:
                problems.append(f"{where}: no snippet [{name}] (two lines `//! [{name}]`) in {path}")
                continue
        elif kind == "python":
            want = python_original(text)
            if not want:
                problems.append(f"{where}: {path} has no leading `// Python:` comment")
                continue
        else:  # excerpt
            got = strip_blank_ends(body)
            file_lines = [l.rstrip() for l in text.splitlines()]
            n = len(got)
            if not got or not any(file_lines[i:i + n] == got for i in range(len(file_lines) - n + 1)):
                problems.append(f"{where}: this block is not an excerpt of {path} (consecutive lines): "
                                "update the README from the file")
            continue
        if strip_blank_ends(body) != strip_blank_ends(want) and fix:
            fixes.append((line, end, indent, strip_blank_ends(want)))
        elif strip_blank_ends(body) != strip_blank_ends(want):
            got, exp = strip_blank_ends(body), strip_blank_ends(want)
            first = next((i for i, (a, b) in enumerate(zip(got, exp)) if a != b), min(len(got), len(exp)))
            problems.append(f"{where}: this block differs from {arg} (first at block line {first + 1}: "
                            f"README {got[first] if first < len(got) else '<end>'!r} vs file "
                            f"{exp[first] if first < len(exp) else '<end>'!r}): copy the file into the README")
    if fixes:
        lines = readme.read_text(encoding="utf-8").splitlines()
        for first, end, indent, new in reversed(fixes):
            lines[first:end] = [(" " * indent + l) if l else l for l in new]
        readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{readme}: {len(fixes)} block(s) rewritten from their files", file=sys.stderr)
    check_links(readme, problems)
    examples = readme.parent / "examples"
    for cpp in sorted(examples.glob("*.cpp")) if examples.is_dir() else []:
        if cpp.name not in shown:
            problems.append(f"{readme}: examples/{cpp.name} is never shown (<!-- example: examples/{cpp.name} -->)")


def check_links(readme: pathlib.Path, problems: list):
    """Links to a heading of the page (#anchor) and to files of the repository must exist."""
    text = readme.read_text(encoding="utf-8")
    slugs = github_slugs(text)
    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
        if in_fence:
            continue
        for target in re.findall(r"\]\(([^)\s]+)\)", line):
            if re.match(r"^[a-z]+:", target):
                continue  # https:, mailto:
            path, _, anchor = target.partition("#")
            where = f"{readme}:{number}"
            if not path:
                if anchor not in slugs:
                    problems.append(f"{where}: link to #{anchor}: no such heading on this page")
            elif not (readme.parent / path).exists():
                problems.append(f"{where}: link to {path}: no such file")


def check_manifest(root: pathlib.Path, manifest: pathlib.Path, problems: list):
    try:
        import tomllib
    except ImportError:  # Python < 3.11: skip, with a note
        print(f"check_snippets: Python {sys.version_info[0]}.{sys.version_info[1]} has no tomllib; "
              f"{manifest} not checked", file=sys.stderr)
        return
    if not manifest.is_file():
        problems.append(f"{manifest}: no such manifest")
        return
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        problems.append(f"{manifest}: not valid TOML: {e}")
        return
    for lesson in data.get("lessons", []):
        for ex in lesson.get("exercises", []):
            section = ex.get("section", "")
            path, _, anchor = section.partition("#")
            target = root / path
            if not target.is_file():
                problems.append(f"{manifest}: exercise {ex.get('id')}: section file {path!r} does not exist")
            elif anchor and anchor not in github_slugs(target.read_text(encoding="utf-8")):
                problems.append(f"{manifest}: exercise {ex.get('id')}: {path} has no heading with anchor #{anchor}")


def main() -> int:
    ap = argparse.ArgumentParser(description="Checks lesson READMEs against the code they show.")
    ap.add_argument("--root", default=str(pathlib.Path(__file__).resolve().parent.parent))
    ap.add_argument("--manifest", help="also check the sections of this course manifest (TOML)")
    ap.add_argument("--fix", action="store_true", help="rewrite differing example blocks from their files")
    ap.add_argument("readmes", nargs="*")
    args = ap.parse_args()
    root = pathlib.Path(args.root)
    readmes = [pathlib.Path(r) for r in args.readmes] or sorted(root.glob("lessons/[0-9][0-9]-*/README.md"))
    problems: list = []
    for readme in readmes:
        check_readme(readme, problems, args.fix)
    if args.manifest:
        check_manifest(root, pathlib.Path(args.manifest), problems)
    for p in problems:
        print(p)
    print(f"check_snippets: {len(readmes)} lesson page(s), {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
