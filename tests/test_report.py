"""HTML report: sections, inline SVG charts, links to contribution pages, no personal data, offline."""
from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.report.common import EMAIL_RE, PHONE_RE, mask_contacts
from pipeline.report.html import build_report, command
from pipeline.results import load_results
from results_fixture import SENDER_EMAILS, build_processed

LINK_RE = re.compile(r'href="(contributions/[^"#]+\.html)#([^"]+)"')


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    processed = build_processed(tmp_path_factory.mktemp("processed"))
    index = build_report(load_results(processed), processed / "rapport")
    return index


def _all_html(index: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in index.parent.rglob("*.html")}


def check_no_personal_data(index: Path) -> None:
    for path, text in _all_html(index).items():
        assert not EMAIL_RE.search(text), (path, EMAIL_RE.search(text).group())
        assert not PHONE_RE.search(text), (path, PHONE_RE.search(text).group())


def check_links_resolve(index: Path) -> int:
    html = index.read_text(encoding="utf-8")
    links = LINK_RE.findall(html)
    for page, anchor in links:
        target = index.parent / page
        assert target.exists(), page
        assert f'id="{anchor}"' in target.read_text(encoding="utf-8"), (page, anchor)
    for page in re.findall(r'href="(contributions/[^"#]+\.html)"', html):  # the list of contributions
        assert (index.parent / page).exists(), page
    return len(links)


def test_sections_and_charts_present(report):
    html = unescape(report.read_text(encoding="utf-8"))
    for anchor in ("corpus", "axes", "freins", "themes", "acteurs", "methode"):
        assert f'<section id="{anchor}">' in html
    assert html.count("<svg") >= 8
    assert "Faciliter l'accès aux données pour les collectivités" in html  # axis names from axes.yaml
    assert 'Mobilité et mutualisation <span class="badge emerging">' in html  # the emerging theme is flagged
    assert "Compétences et moyens<" in html and "Compétences et moyens <span" not in html
    assert "no text layer (scanned PDF)" in html  # rejects of the manifest with their reason
    assert "absence de convention avec la CAF" in html  # impossible use case and its barrier


def test_report_is_self_contained(report):
    for text in _all_html(report).values():
        assert not re.search(r'(src|href)="(https?:)?//', text)
        assert "<script" not in text
    assert "<style>" in report.read_text(encoding="utf-8")


def test_every_quote_links_to_its_passage(report):
    assert check_links_resolve(report) >= 10
    pages = sorted((report.parent / "contributions").glob("*.html"))
    assert len(pages) == 4
    page = (report.parent / LINK_RE.search(report.read_text(encoding="utf-8")).group(1)).read_text(encoding="utf-8")
    assert 'class="passage quoted"' in page and "<mark class=" in page


def test_no_personal_data(report):
    check_no_personal_data(report)
    everything = "".join(_all_html(report).values())
    assert not any(email in everything or email.split("@")[0] in everything for email in SENDER_EMAILS[:3])
    assert "Marie Leroy" not in everything and "marie-leroy" not in everything and "Particulier (organisation non nommée)" in everything
    assert "[TELEPHONE_1]" in everything  # placeholders are not mistaken for phone numbers


def test_contact_details_missed_upstream_are_masked():
    text = "Écrire à jean.dupont@mairie.fr ou au 06 12 34 56 78 (+33 1 23 45 67 89), réf. 2023-05-12."
    masked = mask_contacts(text)
    assert "jean.dupont" not in masked and "06 12" not in masked and "+33" not in masked
    assert masked.count("masqué") == 3 and "2023-05-12" in masked


def test_missing_tables_say_not_available(tmp_path):
    processed = build_processed(tmp_path / "p", skip=("axes", "topics", "mentions", "actor_links"))
    html = build_report(load_results(processed), processed / "rapport").read_text(encoding="utf-8")
    assert html.count("non disponible") >= 4


def test_command_writes_into_processed(tmp_path, capsys):
    processed = build_processed(tmp_path / "p")
    config = load_config(processed=processed, models=tmp_path / "models")
    assert command(config, []) == 0
    assert (processed / "rapport" / "index.html").exists()
    assert command(load_config(processed=tmp_path / "vide"), []) == 1


def test_report_on_the_sample_corpus(sample_run, tmp_path):
    """The report built from the pipeline's real output: no personal data, every link resolves."""
    _, processed = sample_run
    index = build_report(load_results(processed), tmp_path / "rapport")
    check_no_personal_data(index)
    check_links_resolve(index)
    html = index.read_text(encoding="utf-8")
    assert html.count("<svg") >= 5 and "contributions/" in html


def test_contribution_pages_hold_every_passage_once(report):
    pages = "".join(p.read_text(encoding="utf-8") for p in (report.parent / "contributions").glob("*.html"))
    ids = re.findall(r'<div class="passage[^"]*" id="([^"]+)"', pages)
    assert len(ids) == len(set(ids)) == 12
    assert pages.count('class="badge revoir"') == 2  # the two low-confidence passages of the fixture
    from results_fixture import MENTIONS

    assert len(re.findall(r'<mark class="[a-z_]+" title=', pages)) == len(MENTIONS)  # every mention highlighted once


def test_ids_are_not_taken_for_phone_numbers():
    for text in ("p0612345678abcde", "c-0612345678a", "SIRET 21750001600019", "2023-05-12"):
        assert mask_contacts(text) == text
    assert mask_contacts("tél. 0612345678.") == "tél. [téléphone masqué]."
