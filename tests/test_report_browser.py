"""The HTML report in headless Chromium: it loads offline, charts are in the DOM, links resolve."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.report.html import build_report
from pipeline.results import load_results
from results_fixture import build_processed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def _dump_dom(page: Path, profile: Path) -> str:
    result = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
                            capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    index = build_report(load_results(build_processed(root / "processed")), root / "rapport")
    return index, _dump_dom(index, root / "profile"), root / "profile"


def test_page_loads_with_sections_and_svg_charts(rendered):
    _, dom, _ = rendered
    assert "Rapport d'analyse des contributions" in dom
    for anchor in ("corpus", "axes", "freins", "themes", "acteurs", "methode"):
        assert f'id="{anchor}"' in dom
    svgs = re.findall(r"<svg[^>]*>", dom)
    assert len(svgs) >= 8 and all('class="chart' in s for s in svgs)
    assert "<rect" in dom and "<circle" in dom  # bars and the actor network were parsed as SVG


def test_contribution_links_resolve_in_the_browser(rendered):
    index, dom, profile = rendered
    links = set(re.findall(r'href="(contributions/[^"#]+\.html)#([^"]+)"', dom))
    assert len(links) >= 5
    for page, anchor in sorted(links):
        target = index.parent / page
        assert target.exists(), page
        assert f'id="{anchor}"' in target.read_text(encoding="utf-8"), (page, anchor)
    # one contribution page through the browser (a launch costs seconds): it parses, anchors survive
    page, _ = sorted(links)[0]
    page_dom = _dump_dom(index.parent / page, profile)
    anchors = {a for p, a in links if p == page}
    assert all(f'id="{a}"' in page_dom for a in anchors)
    assert 'href="../index.html"' in page_dom and '<mark class="' in page_dom
