"""Self-contained HTML report (``rapport/index.html``) and one page per contribution.

Everything is inline (CSS, SVG charts): the folder opens offline, with no CDN. Every quote links to
``contributions/<contribution_id>.html#<passage_id>``, where the passage is highlighted.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import datetime
from html import escape
from itertools import groupby
from pathlib import Path
from string import Template

from pipeline.report import sections
from pipeline.report.cli import parse_out_and_load
from pipeline.report.common import contributor, h
from pipeline.results import Results, display_name

TEMPLATES = Path(__file__).with_name("templates")
PAGE_COLUMNS = ["passage_id", "contribution_id", "doc_path", "doc_label", "seq", "heading", "text", "axis", "probability",
                "a_revoir", "topic_label"]
KIND_NAMES = {"frein": "frein", "cas_usage": "cas d'usage", "acteur": "acteur"}


def _page(title: str, body: str, nav: str = "") -> str:
    template = Template((TEMPLATES / "page.html").read_text(encoding="utf-8"))
    css = (TEMPLATES / "style.css").read_text(encoding="utf-8")
    return template.substitute(title=escape(title), css=css, nav=nav, body=body,
                               generated=datetime.now().strftime("%d/%m/%Y %H:%M"))


def _highlight(text: str, spans: list[dict]) -> str:
    """Passage text with its mentions wrapped in <mark> (overlapping spans: the first one wins)."""
    out, cursor = [], 0
    for span in sorted(spans, key=lambda s: (int(s["start"]), int(s["end"]))):
        start, end, kind = int(span["start"]), int(span["end"]), span["kind"]
        if start < cursor or end > len(text) or start >= end:
            continue
        label = display_name(kind, span["canonical"] if kind == "acteur" else span["label"])
        out.append(h(text[cursor:start]))
        out.append(f'<mark class="{escape(kind)}" title="{escape(KIND_NAMES.get(kind, kind))} : '
                   f'{h(label)}">{h(text[start:end])}</mark>')
        cursor = end
    out.append(h(text[cursor:]))
    return "".join(out)


def contribution_page(contribution: dict, passages: list[dict], spans: dict[str, list[dict]], quoted: set[str]) -> str:
    """The page of one contribution: its metadata, then every passage (records in reading order, anchor =
    its id) with its mentions (``spans``: passage id -> mention records) highlighted; ``quoted`` ones marked."""
    cid = contribution["contribution_id"]
    organisation = contributor(contribution.get("organisation"), contribution.get("organisation_type"))
    body = ['<p><a href="../index.html">← Retour au rapport</a></p>',
            f"<p><strong>Type :</strong> {h(display_name('organisation_type', contribution.get('organisation_type')))} · "
            f"<strong>Date :</strong> {h(contribution.get('date') or 'inconnue')} · "
            f"<strong>Identifiant :</strong> <code>{escape(cid)}</code> · {len(passages)} passage(s)</p>",
            '<p class="muted">Légende : <mark class="frein">frein</mark> <mark class="cas_usage">cas d\'usage</mark> '
            '<mark class="acteur">acteur</mark>. Le passage cité est surligné.</p>']
    if not passages:
        body.append('<p class="na">Aucun passage pour cette contribution.</p>')
    for (_, name), group in groupby(passages, key=lambda p: (p["doc_path"], p["doc_label"])):
        body.append(f"<h2>{h(name)}</h2>")
        for p in group:
            badges = []
            if isinstance(p.get("axis"), str):
                badges.append(f'<span class="badge">{h(display_name("axes_short", p["axis"]))} '
                              f'({float(p["probability"] or 0):.2f})</span>')
            if p.get("a_revoir") is True:
                badges.append('<span class="badge revoir">à revoir</span>')
            if isinstance(p.get("topic_label"), str):
                badges.append(f'<span class="badge">thème : {h(p["topic_label"])}</span>')
            css = "passage quoted" if p["passage_id"] in quoted else "passage"
            heading = f"{h(p['heading'])} · " if isinstance(p.get("heading"), str) else ""
            body.append(f'<div class="{css}" id="{escape(p["passage_id"])}"><p class="meta">{heading}passage {int(p["seq"]) + 1} '
                        f'{"".join(badges)}</p><p>{_highlight(p["text"], spans.get(p["passage_id"], []))}</p></div>')
    return _page(f"Contribution — {organisation}", "".join(body))


def _quoted_passages(index_html: str) -> set[str]:
    """Passage ids linked from the report (to mark them on the contribution pages)."""
    return set(re.findall(r'contributions/[^"#]+\.html#([^"]+)"', index_html))


def build_report(results: Results, out_dir: Path) -> Path:
    """Write ``index.html`` and ``contributions/*.html`` into ``out_dir`` (replaced atomically); return index.html."""
    out_dir = Path(out_dir)
    nav = "<nav><ul>" + "".join(f'<li><a href="#{a}">{escape(t)}</a></li>' for a, t in sections.SECTIONS) + "</ul></nav>"
    body = "".join([sections.corpus_section(results), sections.axes_section(results), sections.freins_section(results),
                    sections.themes_section(results), sections.actors_section(results), sections.method_section(results)])
    index = _page("Rapport d'analyse des contributions", body, nav)
    quoted = _quoted_passages(index)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp creates 0700; the report is meant to be shared
    try:
        (staging / "contributions").mkdir(mode=0o755)
        ordered = results.passages.sort_values(["contribution_id", "doc_role_rank", "doc_path", "seq"])
        by_contribution: dict[str, list[dict]] = {}
        for record in ordered[PAGE_COLUMNS].to_dict("records"):
            by_contribution.setdefault(record["contribution_id"], []).append(record)
        spans: dict[str, list[dict]] = {}
        for record in results.mentions[["passage_id", "kind", "start", "end", "label", "canonical"]].to_dict("records"):
            spans.setdefault(record["passage_id"], []).append(record)
        for contribution in results.contributions.to_dict("records"):
            page = contribution_page(contribution, by_contribution.get(contribution["contribution_id"], []), spans, quoted)
            (staging / "contributions" / f"{contribution['contribution_id']}.html").write_text(page, encoding="utf-8")
        (staging / "index.html").write_text(index, encoding="utf-8")
        old = out_dir.with_name(f".{out_dir.name}.old")
        if old.exists():
            shutil.rmtree(old)
        if out_dir.exists():
            os.replace(out_dir, old)
        os.replace(staging, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return out_dir / "index.html"


def command(config, argv: list[str]) -> int:
    """``python -m pipeline report [--out DIR]``: build the HTML report from the processed folder."""
    loaded = parse_out_and_load(config, argv, command="report", description="Rapport HTML autonome.",
                                out_kind="dossier", default_out=Path("rapport"))
    if loaded is None:
        return 1
    results, out_dir = loaded
    index = build_report(results, out_dir)
    print(f"Rapport écrit : {index} ({len(results.contributions)} pages de contribution)")
    return 0
