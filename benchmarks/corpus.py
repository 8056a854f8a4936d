"""Build benchmark corpora of N contributions, in mixed formats, from the shared corpora.

The texts come from ``../shared/corpora`` (never copied into the repository: corpora are
written to a temporary folder). Formats rotate: e-mail with a PDF/DOCX/ODT attachment,
plain e-mail, PDF, DOCX, ODT, TXT, Markdown, HTML.
"""
from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from pipeline.synth.writers import build_eml, render_docx, render_odt, render_pdf

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPORA = SHARED / "corpora"


def shared_texts() -> list[str]:
    """Every text of the shared corpora (paragraph-rich fields), in file order."""
    texts: list[str] = []
    for path in sorted(CORPORA.glob("*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if "_meta" in record:
                    continue
                text = "\n\n".join(str(record[k]) for k in ("title", "body", "text") if record.get(k))
                for argument in record.get("arguments", []) or []:
                    if isinstance(argument, dict) and argument.get("body"):
                        texts.append(str(argument["body"]))
                if len(text.split()) >= 20:
                    texts.append(text)
    for path in sorted(CORPORA.glob("*.csv")):
        rows = [r for r in csv.reader(line for line in open(path, encoding="utf-8") if not line.startswith("#"))]
        texts += [row[2] for row in rows[1:] if len(row) > 2]
    return texts


def _variant(text: str, rng: random.Random) -> str:
    """A lightly varied copy: every paragraph of more than ten words loses 1 to 10 % of its first words,
    so that a text reused in several contributions gives no duplicate passage (the row caches and the
    embedding cache would otherwise make repeated passages free and the benchmark optimistic)."""
    paragraphs = []
    for paragraph in text.split("\n\n"):
        words = paragraph.split(" ")
        if len(words) > 10:
            words = words[rng.randint(1, max(1, len(words) // 10)):]
        paragraphs.append(" ".join(words))
    return "\n\n".join(paragraphs)


def build_corpus(target: Path, n_contributions: int, seed: int = 0, start: int = 0,
                 texts_per_contribution: int = 1) -> list[Path]:
    """Write ``n_contributions`` contribution files into ``target``; returns their paths. A contribution
    joins ``texts_per_contribution`` consecutive shared texts (one shared text gives ~6.5 passages, a
    real contribution of the 2023 call, with its four questions, several times more)."""
    rng = random.Random(seed)
    texts = shared_texts()
    if not texts:
        raise SystemExit(f"no shared corpora found in {CORPORA}")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    k = max(1, texts_per_contribution)
    for i in range(start, start + n_contributions):
        parts = [_variant(texts[(i * k + j) % len(texts)], rng) for j in range(k)]
        text = f"Contribution n° {i} (corpus de test, texte public réutilisé).\n\n" + "\n\n".join(parts)
        paragraphs = [p for p in text.split("\n\n") if p.strip()]
        kind = i % 8
        if kind == 0:
            attachment_kind = rng.choice(["pdf", "docx", "odt"])
            render = {"pdf": render_pdf, "docx": render_docx, "odt": render_odt}[attachment_kind]
            mime = {"pdf": "application/pdf",
                    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    "odt": "application/vnd.oasis.opendocument.text"}[attachment_kind]
            data = build_eml(subject=f"Contribution {i}", sender=("Service données", f"donnees@commune-{i}.fr"),
                             to="mission@example.invalid", date="2023-05-02T10:00:00+02:00",
                             body="Veuillez trouver notre contribution en pièce jointe.\n\nCordialement,",
                             attachments=[(f"contribution-{i}.{attachment_kind}", render(paragraphs), mime)])
            path = target / f"c{i:06d}.eml"
            path.write_bytes(data)
        elif kind == 1:
            path = target / f"c{i:06d}.eml"
            path.write_bytes(build_eml(subject=f"Contribution {i}", sender=f"contact@agglo-{i}.fr",
                                       to="mission@example.invalid", date="2023-05-03T09:00:00+02:00", body=text))
        elif kind == 2:
            path = target / f"c{i:06d}.pdf"
            path.write_bytes(render_pdf(paragraphs))
        elif kind == 3:
            path = target / f"c{i:06d}.docx"
            path.write_bytes(render_docx(paragraphs))
        elif kind == 4:
            path = target / f"c{i:06d}.odt"
            path.write_bytes(render_odt(paragraphs))
        elif kind == 5:
            path = target / f"c{i:06d}.md"
            path.write_text("# Contribution\n\n" + text, encoding="utf-8")
        elif kind == 6:
            body = "".join(f"<p>{p}</p>" for p in paragraphs)
            path = target / f"c{i:06d}.html"
            path.write_text(f"<html><body><h1>Contribution</h1>{body}</body></html>", encoding="utf-8")
        else:
            path = target / f"c{i:06d}.txt"
            path.write_bytes(text.encode("cp1252", errors="replace"))
        written.append(path)
    return written
