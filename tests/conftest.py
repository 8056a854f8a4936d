"""Shared fixtures: small raw folders built with the project's own file writers."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def build_small_raw(root: Path) -> Path:
    """A raw folder with an email + attachments, documents, a zip, a duplicate and bad files."""
    from pipeline.synth.writers import build_eml, render_docx, render_odt, render_pdf, render_zip

    root.mkdir(parents=True, exist_ok=True)
    paragraphs = [
        "# Contribution de la commune",
        "La commune de Saint-Aubin-des-Prés utilise les données de consommation pour piloter la rénovation "
        "énergétique des écoles. Nous ne disposons pas des données du gestionnaire de réseau à la maille du bâtiment.",
        "Faute de moyens, nous n'avons pas de data analyst et la formation des agents reste insuffisante.",
    ]
    pdf = render_pdf(paragraphs)
    (root / "commune.pdf").write_bytes(pdf)
    (root / "copie-commune.pdf").write_bytes(pdf)
    (root / "agglo.docx").write_bytes(render_docx([
        "Communauté d'agglomération du Val d'Orme",
        "Nous avons mis en place un observatoire de la mobilité avec des compteurs vélos. Les données sont publiées "
        "chaque mois et réutilisées par les associations d'usagers."]))
    (root / "sub").mkdir(exist_ok=True)
    (root / "sub" / "syndicat.odt").write_bytes(render_odt([
        "Le syndicat des eaux suit les fuites du réseau grâce à la télérelève des compteurs depuis 2021."]))
    (root / "vide.txt").write_bytes(b"")
    (root / "bruit.xyz").write_bytes(bytes(range(256)) * 4)
    mail = build_eml(
        subject="Contribution du Département des Hautes-Collines",
        sender=("Service données", "donnees@departement-hautes-collines.fr"), to="mission@example.invalid",
        date="2023-05-02T10:00:00+02:00",
        body="Bonjour,\n\nVous trouverez ci-joint la contribution du Département sur le partage des données sociales "
             "avec l'État.\n\nCordialement,\nService données\nDépartement des Hautes-Collines",
        attachments=[("note.pdf", render_pdf(["Le Département souhaite un accès simplifié aux données de la CAF "
                                              "pour son observatoire social, aujourd'hui impossible faute de convention."]),
                      "application/pdf"), ("vide.pdf", b"", "application/pdf")])
    (root / "mail.eml").write_bytes(mail)
    (root / "lot.zip").write_bytes(render_zip({
        "a.txt": "La région anime une plateforme régionale de données et forme les agents des petites communes.".encode(),
        "b.md": "# Tourisme\n\nNous suivons la fréquentation touristique avec des données de téléphonie mobile.".encode()}))
    return root


@pytest.fixture
def small_raw(tmp_path) -> Path:
    """A fresh small raw folder (see build_small_raw)."""
    return build_small_raw(tmp_path / "raw")


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """The whole pipeline run once on the project's sample corpus: (config, processed folder)."""
    from pipeline.config import load_config
    from pipeline.runner import run_pipeline

    base = tmp_path_factory.mktemp("sample_run")
    config = load_config(None, raw=REPO / "data" / "raw", processed=base / "processed", models=base / "models")
    run_pipeline(config, show_progress=False)
    return config, base / "processed"


@pytest.fixture(scope="session")
def nlp():
    """The NLP stage's spaCy pipeline (fr_core_news_md + the project's components), built once."""
    from pipeline.config import NlpConfig
    from pipeline.nlp import build_nlp

    return build_nlp(NlpConfig())
