"""Headless Chromium for the report tests: the rendered DOM, console messages, and what the charts measure.

The report has no script of its own (its Content-Security-Policy forbids them). To learn whether charts
were laid out and drawn, `measure` opens a *copy* of the report with the policy removed and a small
measuring script appended; console errors are checked on the unmodified file with `open_page`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed here (apt-get install chromium); CI installs it"
)
_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]
_CONSOLE = re.compile(r":CONSOLE[:(]\d*\)?\]\s*(.*)")

MEASURE_SCRIPT = """<script>
(function () {
  var charts = Array.prototype.slice.call(document.querySelectorAll('svg.chart'));
  var drawn = charts.filter(function (svg) {
    var box = svg.getBoundingClientRect(), inner = svg.getBBox();
    return box.width > 0 && box.height > 0 && inner.width > 0 && inner.height > 0;
  });
  var marks = document.querySelectorAll('svg.chart rect.bar, svg.chart circle.point');
  var out = document.createElement('pre');
  out.id = 'measured';
  out.textContent = JSON.stringify({
    charts: charts.length,
    drawn: drawn.length,
    marks: marks.length,
    map_points: document.querySelectorAll('svg.chart-emergence-map circle.point').length,
    topic_headings: Array.prototype.map.call(document.querySelectorAll('#topics h3'), function (h) {
      return h.textContent.replace(/\\s+/g, ' ').trim();
    }),
    scripts: document.querySelectorAll('script').length
  });
  document.body.appendChild(out);
})();
</script>"""


@dataclass
class Page:
    dom: str
    console: list[str]


def open_page(html_file: Path, profile: Path, *, timeout: float = 60) -> Page:
    """Load the file in headless Chromium; return the DOM after load and every console message."""
    assert CHROMIUM is not None
    completed = subprocess.run(
        [CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--dump-dom",
         html_file.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
    console = [m.group(1) for m in map(_CONSOLE.search, completed.stderr.splitlines()) if m]
    return Page(completed.stdout, console)


def measure(html_file: Path, profile: Path) -> dict:
    """Open a measuring copy of the report and return what its charts and headings look like when drawn."""
    copy = html_file.with_name(html_file.stem + ".measure.html")
    html = html_file.read_text(encoding="utf-8")
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    copy.write_text(html.replace("</body>", MEASURE_SCRIPT + "</body>"), encoding="utf-8")
    try:
        page = open_page(copy, profile)
    finally:
        copy.unlink()
    found = re.search(r'<pre id="measured">(.*?)</pre>', page.dom, re.S)
    assert found, "the measuring script did not run"
    return json.loads(
        found.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    )


def screenshot(html_file: Path, target: Path, profile: Path, size: str = "1280,900") -> None:
    """The first screen of the page as a PNG."""
    assert CHROMIUM is not None
    subprocess.run(
        [CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", f"--window-size={size}", f"--screenshot={target}",
         html_file.resolve().as_uri()],
        capture_output=True,
        timeout=60,
        check=True,
    )  # fmt: skip
