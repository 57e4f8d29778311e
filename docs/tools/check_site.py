#!/usr/bin/env python3
"""Checks the generated documentation site as a person sees it (CTest `docs_browser`, label docs).

1. Every internal link of every generated HTML page (href/src of a, link, script, img, iframe)
   points to a file that exists, and its #fragment to an id or name in that file.
2. Headless Chromium (Debian's `chromium`) renders the front page (the course map), a lesson page
   and a class page (mp::Queue), served over HTTP on 127.0.0.1 as GitHub Pages would serve them;
   the rendered DOM (after the scripts ran: navigation tree, copy buttons) must show the page's
   title, the navigation, and its code blocks. A screenshot of each is kept (PNG).
3. Every lesson page shows at least one diagram (docs/diagrams, embedded by Doxygen as an SVG
   <object>, or an <img>) that the browser actually loaded and laid out with a non-zero size;
   a lesson with a real run's timeline (docs/timelines/lessonNN_*.json) shows it so too.

Usage: check_site.py --html BUILD/docs/html --screenshots BUILD/docs/screenshots [--chromium PATH]
Exit status: 0 all good, 1 a check failed (each failure is listed), 2 the site or Chromium is missing.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

CHROMIUM_FLAGS = [  # offline and headless: no first-run, no background connections (the machine has no network)
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars",
]


class Page(HTMLParser):
    """The links, ids and a few counts of one HTML document."""

    LINK_ATTRS = {"a": "href", "link": "href", "script": "src", "img": "src", "iframe": "src", "object": "data"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, int]] = []
        self.ids: set[str] = set()
        self.title = ""
        self._in_title = False
        self.classes: dict[str, int] = {}
        self.headings: list[str] = []
        self._heading: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        attr = self.LINK_ATTRS.get(tag)
        if attr and a.get(attr):
            self.links.append((a[attr], self.getpos()[0]))
        for c in (a.get("class") or "").split():
            self.classes[c] = self.classes.get(c, 0) + 1
        if tag == "title":
            self._in_title = True
        if tag in ("h1", "h2", "h3") or (tag == "div" and "title" in (a.get("class") or "").split()):
            self._heading = []

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if self._heading is not None and tag in ("h1", "h2", "h3", "div"):
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._heading is not None:
            self._heading.append(data)


def parse(text: str) -> Page:
    p = Page()
    p.feed(text)
    p.close()
    return p


# --------------------------------------------------------------------------- 0. markdown left over

class VisibleText(HTMLParser):
    """The text a reader sees, outside code (spans, Doxygen's code fragments), preformatted
    blocks, scripts and styles."""

    SKIP = {"code", "pre", "script", "style", "tt"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.fragment_divs = 0  # open <div>s since a <div class="fragment"> began (0: none)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1
        if tag == "div" and (self.fragment_divs or "fragment" in (dict(attrs).get("class") or "").split()):
            self.fragment_divs += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1
        if tag == "div" and self.fragment_divs:
            self.fragment_divs -= 1

    def handle_data(self, data):
        if not self.depth and not self.fragment_divs:
            self.parts.append(data)


def check_markdown_left(root: Path) -> list[str]:
    """Markdown that Doxygen did not render, seen as literal `**` in a page's prose (a bold
    that starts with a code span, for one). Source listings (*_source.html) are code."""
    failures = []
    for page in sorted(root.glob("*.html")):
        if page.name.endswith("_source.html"):
            continue
        seen = VisibleText()
        seen.feed(page.read_text(encoding="utf-8", errors="replace"))
        text = "".join(seen.parts)
        for m in re.finditer(r"\*\*", text):
            context = " ".join(text[max(0, m.start() - 40):m.end() + 40].split())
            failures.append(f"{page.name}: literal ** in the prose: ...{context}...")
            break
    return failures


# --------------------------------------------------------------------------- 1. links

def check_links(root: Path) -> list[str]:
    failures: list[str] = []
    pages: dict[Path, Page] = {}

    def page(path: Path) -> Page:
        if path not in pages:
            pages[path] = parse(path.read_text(encoding="utf-8", errors="replace"))
        return pages[path]

    files = sorted(root.rglob("*.html"))
    checked = 0
    for f in files:
        for link, line in page(f).links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "javascript:", "mailto:")) or not link.strip():
                continue  # external: not ours to check (and the machine is offline)
            checked += 1
            target = f if not parts.path else (f.parent / unquote(parts.path)).resolve()
            where = f"{f.relative_to(root)}:{line}"
            if not target.exists():
                failures.append(f"{where}: broken link {link!r} (no file {target})")
                continue
            if not target.is_relative_to(root.resolve()):
                failures.append(f"{where}: link {link!r} leaves the site")
                continue
            frag = unquote(parts.fragment)
            if frag and target.suffix == ".html" and frag not in page(target).ids:
                failures.append(f"{where}: link {link!r}: no id {frag!r} in {target.name}")
    print(f"check_site: {checked} internal links in {len(files)} pages checked, {len(failures)} broken")
    return failures


# --------------------------------------------------------------------------- 2. the browser

class Server:
    """The site over HTTP on 127.0.0.1 (a free port), as a person's browser gets it."""

    def __init__(self, root: Path):
        handler = functools.partial(Quiet, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test's output is for failures
        pass

    def do_GET(self):
        """A page asked for with ?diagram-probe gets DIAGRAM_PROBE before its </body>: the
        dumped DOM then says, on each picture, whether the browser loaded it; ?diagram-scroll
        scrolls its first picture to the top as well (for a screenshot of it)."""
        parts = urlsplit(self.path)
        if parts.query not in ("diagram-probe", "diagram-scroll") or not parts.path.endswith(".html"):
            return super().do_GET()
        path = Path(self.translate_path(parts.path))
        if not path.is_file():
            return super().do_GET()
        probe = DIAGRAM_PROBE + (DIAGRAM_SCROLL if parts.query == "diagram-scroll" else "")
        body = path.read_text(encoding="utf-8", errors="replace").replace("</body>", probe + "</body>", 1)
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


# After the page loaded (an <object>'s document and an <img> delay the load event), each <img>
# and <object> gets data-loaded="WxH" (its laid-out size) when its picture loaded, else
# data-loaded="no".
DIAGRAM_PROBE = """<script>
window.addEventListener('load', function () {
  document.querySelectorAll('img, object').forEach(function (e) {
    var r = e.getBoundingClientRect(), ok;
    if (e.tagName === 'IMG') {
      ok = e.complete && e.naturalWidth > 0;
    } else {
      var d = null;
      try { d = e.contentDocument; } catch (err) { d = null; }
      ok = !!(d && d.documentElement && d.documentElement.localName === 'svg');
    }
    e.setAttribute('data-loaded', ok && r.width > 0 && r.height > 0
                   ? Math.round(r.width) + 'x' + Math.round(r.height) : 'no');
  });
});
</script>
"""
DIAGRAM_SCROLL = """<script>
window.addEventListener('load', function () {
  var e = document.querySelector('div.image');
  if (e) e.scrollIntoView();
});
</script>
"""


class Diagrams(HTMLParser):
    """The pictures of a page's text as the probe left them: (file, data-loaded) of each
    <object> and <img> inside a <div class="image"> (Doxygen's frame for a Markdown image; the
    theme's icons are not in one)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self.divs: list[bool] = []  # open <div>s: is each a <div class="image">

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div":
            self.divs.append("image" in (a.get("class") or "").split())
        src = a.get("data") if tag == "object" else a.get("src") if tag == "img" else None
        if src and any(self.divs):
            self.found.append((src, a.get("data-loaded") or "not probed"))

    def handle_endtag(self, tag):
        if tag == "div" and self.divs:
            self.divs.pop()


TIMELINES = Path(__file__).resolve().parents[1] / "timelines"  # real runs' traces: lessonNN_NAME.json
FIGURES = {"lesson07": ["pool_speedup.svg"]}  # the other pictures of real runs there (render_timelines.py)


def check_diagrams(failures: list[str], binary: str, url: str, lessons: list[Path], shots: Path) -> None:
    """Every lesson page shows at least one diagram that loaded (docs/diagrams, issue 19), and
    each timeline of the lesson (docs/timelines/lessonNN_*.json, drawn at build time); a
    screenshot of the first lesson's first diagram is kept (lessonNN_diagram.png)."""
    for i, lesson in enumerate(lessons):
        dom = chromium(binary, ["--virtual-time-budget=5000", "--dump-dom", f"{url}{lesson.name}?diagram-probe"])
        d = Diagrams()
        d.feed(dom.stdout)
        d.close()
        shown = [f"{src} ({size})" for src, size in d.found if re.fullmatch(r"[1-9]\d*x[1-9]\d*", size)]
        broken = [f"{src} ({size})" for src, size in d.found if not re.fullmatch(r"[1-9]\d*x[1-9]\d*", size)]
        what = (f"{lesson.name}: shows a diagram that loaded: " + ", ".join(shown) if shown
                else f"{lesson.name}: no diagram shown (an SVG from docs/diagrams embedded with "
                     f"![alt](../../docs/diagrams/NAME.svg) in its README, loaded with a non-zero size)"
                     + (f"; not loaded: {', '.join(broken)}" if broken else ""))
        expect(failures, what, bool(shown))
        loaded = {Path(src).name for src, size in d.found if re.fullmatch(r"[1-9]\d*x[1-9]\d*", size)}
        pictures = [t.with_suffix(".svg").name for t in sorted(TIMELINES.glob(f"{lesson.stem}_*.json"))]
        for picture in pictures + FIGURES.get(lesson.stem, []):
            expect(failures, f"{lesson.name}: shows its picture of a real run {picture}, loaded", picture in loaded)
        if shown and broken:
            expect(failures, f"{lesson.name}: every diagram loaded (not: {', '.join(broken)})", False)
        if shown and i == 0:
            png = shots / f"{lesson.stem}_diagram.png"
            chromium(binary, ["--virtual-time-budget=5000", "--window-size=1280,1000", f"--screenshot={png}",
                              f"{url}{lesson.name}?diagram-scroll"])
            print(f"  (screenshot of its diagram: {png.name})")


def chromium(binary: str, args: list[str], timeout: int = 90) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="mp-docs-chromium-") as profile:
        cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "HOME": profile})


def render(binary: str, url: str, png: Path) -> str:
    """The DOM after the page's scripts ran, and a screenshot of the page."""
    dom = chromium(binary, ["--virtual-time-budget=5000", "--dump-dom", url])
    if dom.returncode != 0 or "<html" not in dom.stdout:
        raise RuntimeError(f"chromium --dump-dom {url} failed (exit {dom.returncode}): {dom.stderr[-2000:]}")
    shot = chromium(binary, ["--virtual-time-budget=5000", "--window-size=1280,1400",
                             f"--screenshot={png}", url])
    if shot.returncode != 0 or not png.exists() or png.stat().st_size < 1000:
        raise RuntimeError(f"chromium --screenshot {url} failed (exit {shot.returncode}): {shot.stderr[-2000:]}")
    return dom.stdout


def expect(failures: list[str], what: str, ok: bool) -> None:
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


def check_common(failures: list[str], name: str, dom: str, p: Page) -> None:
    expect(failures, f"{name}: the theme (doxygen-awesome) is loaded", "doxygen-awesome.css" in dom)
    expect(failures, f"{name}: the navigation tree was built by its script",
           "nav-tree-contents" in p.ids and p.classes.get("item", 0) + p.classes.get("selected", 0) >= 3)
    expect(failures, f"{name}: the top menu is there", "main-menu" in p.ids or "main-nav" in p.ids)
    expect(failures, f"{name}: the search box is there", "MSearchBox" in p.ids)


def check_pages(root: Path, binary: str, shots: Path) -> list[str]:
    failures: list[str] = []
    shots.mkdir(parents=True, exist_ok=True)
    lessons = sorted(root.glob("lesson[0-9][0-9].html"))
    queue = root / "classmp_1_1Queue.html"
    with Server(root) as server:
        # The front page: the course map.
        dom = render(binary, server.url + "index.html", shots / "index.png")
        p = parse(dom)
        print(f"front page: {p.title.strip()!r}")
        expect(failures, "front page: the title names the course", "mp course" in p.title)
        expect(failures, "front page: a 'Course map' section", any("Course map" in h for h in p.headings))
        expect(failures, "front page: the course map is a table", p.classes.get("markdownTable", 0) >= 1)
        expect(failures, "front page: links to the instructors' guide", 'href="instructors.html"' in dom)
        expect(failures, "front page: links to the API of each lesson", 'href="group__lesson01__api.html"' in dom)
        for lesson in lessons:
            expect(failures, f"front page: links to {lesson.name}", f'href="{lesson.name}' in dom)
        check_common(failures, "front page", dom, p)

        # A lesson page: the first that teaches some of the runtime's API (lesson 00 teaches
        # std::thread, and has no API group), else the first there is.
        if lessons:
            with_api = [lesson for lesson in lessons
                        if (root / f"group__lesson{lesson.stem[-2:]}__api.html").exists()]
            page = (with_api or lessons)[0]
            name = page.name
            dom = render(binary, server.url + name, shots / page.with_suffix(".png").name)
            p = parse(dom)
            print(f"lesson page: {p.title.strip()!r}")
            expect(failures, f"{name}: the title says which lesson", "Lesson" in p.title or "lesson" in p.title)
            expect(failures, f"{name}: links back to the course map", 'href="index.html"' in dom)
            expect(failures, f"{name}: links to the API it teaches", re.search(r'href="group__lesson\d\d__api.html"', dom)
                   is not None)
            expect(failures, f"{name}: code blocks (the examples, from their files)", p.classes.get("fragment", 0) >= 1)
            expect(failures, f"{name}: the code blocks got copy buttons (script ran)",
                   p.classes.get("doxygen-awesome-fragment-wrapper", 0) >= 1)
            check_common(failures, name, dom, p)
        else:
            print("lesson page: SKIPPED: no lessons/NN-topic/README.md yet, so no lesson page to check")

        # The lessons' diagrams: on every lesson page, loaded by the browser.
        check_diagrams(failures, binary, server.url, lessons, shots)

        # A class page.
        expect(failures, "the class page of mp::Queue exists", queue.exists())
        if queue.exists():
            dom = render(binary, server.url + queue.name, shots / "class_mp_Queue.png")
            p = parse(dom)
            print(f"class page: {p.title.strip()!r}")
            expect(failures, "mp::Queue: the title names the class", "mp::Queue" in p.title)
            for member in ("put", "get", "get_nowait", "qsize", "close"):
                expect(failures, f"mp::Queue: documents {member}()", re.search(rf">{member}</[ab]>", dom) is not None)
            expect(failures, "mp::Queue: a code example", p.classes.get("fragment", 0) >= 1)
            expect(failures, "mp::Queue: the lesson group it belongs to", "group__lesson02__api.html" in dom)
            check_common(failures, "mp::Queue", dom, p)
    print(f"check_site: screenshots in {shots}")
    return failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--html", type=Path, required=True)
    ap.add_argument("--screenshots", type=Path, required=True)
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", ""))
    args = ap.parse_args()
    root = args.html.resolve()
    if not (root / "index.html").exists():
        print(f"check_site: {root}/index.html not found: build the `docs` target first", file=sys.stderr)
        return 2
    binary = args.chromium or shutil.which("chromium") or shutil.which("chromium-browser") or ""
    failures = check_links(root) + check_markdown_left(root)
    if not binary:
        print("check_site: chromium not found: install Debian's package `chromium` (scripts/setup.sh --docs)",
              file=sys.stderr)
        return 2
    failures += check_pages(root, binary, args.screenshots.resolve())
    for f in failures:
        print(f"check_site: FAILED: {f}", file=sys.stderr)
    print(f"check_site: {'FAILED' if failures else 'passed'} ({len(failures)} failures)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
