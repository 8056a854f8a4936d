"""Helpers shared by the HTML report and the workbook: masking of contact details, HTML fragments."""
from __future__ import annotations

import re
from html import escape

import pandas as pd

from pipeline.report.labels import display_name

# Defence in depth: the privacy stage already replaced contact details by placeholders; anything
# that still looks like an e-mail address or a French phone number is masked in every output.
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# word boundaries on both sides so that digit runs inside ids ("p0612345678ab") are not taken for phones
PHONE_RE = re.compile(r"(?<![\w+])(?:\+33[\s.\-]?(?:\(0\)[\s.\-]?)?|0)[1-9](?:[\s.\-]?\d{2}){4}(?!\w)")


def mask_contacts(value: object) -> str:
    """``value`` as text with e-mail addresses and phone numbers replaced by a neutral mention."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = EMAIL_RE.sub("[courriel masqué]", str(value))
    return PHONE_RE.sub("[téléphone masqué]", text)


def h(value: object) -> str:
    """Masked and HTML-escaped text."""
    return escape(mask_contacts(value))


def contribution_href(contribution_id: str, passage_id: str | None = None, prefix: str = "contributions/") -> str:
    """Relative link to the page of a contribution, at a passage when given."""
    return f"{prefix}{contribution_id}.html" + (f"#{passage_id}" if passage_id else "")


def na(what: str) -> str:
    """The "not available" notice of a section."""
    return f'<p class="na">{escape(what)} : non disponible (table absente ou vide dans data/processed).</p>'


def html_table(df: pd.DataFrame, headers: dict[str, str], numeric: tuple[str, ...] = (),
               links: dict[str, tuple[str, str | None]] | None = None, percent: tuple[str, ...] = ()) -> str:
    """A table of the columns in ``headers`` (column -> French header). ``links`` maps a column to
    (contribution id column, passage id column) to link its cells to the contribution page."""
    if df.empty:
        return '<p class="na">Aucune ligne.</p>'
    links = links or {}
    rows = ["<table><thead><tr>" + "".join(f"<th>{escape(t)}</th>" for t in headers.values()) + "</tr></thead><tbody>"]
    for record in df.to_dict("records"):
        cells = []
        for column in headers:
            value = record.get(column)
            if column in percent and pd.notna(value):
                text = f"{100 * float(value):.1f} %"
            elif column in numeric and pd.notna(value):
                text = f"{value:.2f}" if isinstance(value, float) and not float(value).is_integer() else f"{int(value)}"
            else:
                text = mask_contacts(value)
            cell = escape(text)
            if column in links and record.get(links[column][0]):
                pid = record.get(links[column][1]) if links[column][1] else None
                cell = f'<a href="{contribution_href(record[links[column][0]], pid)}">{cell}</a>'
            css = ' class="num"' if column in numeric or column in percent else ""
            cells.append(f"<td{css}>{cell}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "".join(rows) + "</tbody></table>"


def contributor(organisation: object, organisation_type: object) -> str:
    """How a contributor is named: its organisation, else its type (private persons are never named)."""
    if isinstance(organisation, str) and organisation:
        return mask_contacts(organisation)
    if isinstance(organisation_type, str) and organisation_type not in ("inconnu", ""):
        return f"{display_name('organisation_type', organisation_type)} (organisation non nommée)"
    return "Organisation non identifiée"


def quote_block(record: dict, show_extract: bool = True) -> str:
    """A verbatim quote with its organisation and a link to its passage in the contribution page."""
    who = contributor(record.get("organisation"), record.get("organisation_type"))
    extract = record.get("extrait")
    extract_html = ""
    if show_extract and isinstance(extract, str) and extract:
        extract_html = f'<span class="muted">Extrait repéré : « {h(extract)} »</span><br>'
    href = contribution_href(record["contribution_id"], record["passage_id"])
    return (f'<blockquote>{extract_html}« {h(record["texte"])} »<span class="source">— {escape(who)}, '
            f'<a href="{href}">{h(record.get("locator"))}</a></span></blockquote>')


def quotes_html(quotes: pd.DataFrame) -> str:
    """Quote blocks for every row of a ``Results.quotes`` frame."""
    if quotes.empty:
        return '<p class="na">Aucune citation disponible.</p>'
    return "".join(quote_block(r) for r in quotes.to_dict("records"))
