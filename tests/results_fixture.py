"""A small, consistent processed folder (every table of pipeline.schemas) for the results/report tests.

Texts are pseudonymised like the pipeline's output (``[PERSONNE_1]``, ``[TELEPHONE_1]``); the only
personal data is the restricted ``sender_email`` column, which must never reach any output.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.ids import content_hash, doc_id_for, passage_id_for
from pipeline.schemas import SCHEMAS, empty, validate

SENDER_EMAILS = ["jean.martin@saint-aubin.fr", "c.durand@agglo-val-orme.fr", "marie.leroy@gmail.com",
                 "donnees@hautes-collines.fr"]

# contribution -> (organisation, type, date, source, [(role, path, format, [paragraphs])])
CONTRIBUTIONS = [
    ("Commune de Saint-Aubin-des-Prés", "commune", "2023-04-12", "saint-aubin.eml", [
        ("body", "saint-aubin.eml", "eml", [
            "Bonjour, veuillez trouver notre contribution ci-jointe. Contact : [PERSONNE_1], [TELEPHONE_1].",
            "Nous souhaitons piloter la rénovation énergétique des écoles, mais ce projet est impossible faute de "
            "données de consommation à la maille du bâtiment transmises par Enedis.",
            "Le manque de compétences des agents freine l'exploitation des données ; une formation commune avec "
            "la préfecture et le CNFPT serait précieuse pour toute l'équipe municipale."]),
        ("attachment", "saint-aubin.eml#1:note.pdf", "pdf", [
            "Une instance de dialogue entre l'État et les collectivités sur la donnée permettrait de répartir les "
            "responsabilités entre commune, intercommunalité et région.",
            "Le financement des postes de data analyst reste la première difficulté pour une petite commune comme la nôtre."])]),
    ("Communauté d'agglomération du Val d'Orme", "intercommunalite", "2023-05-03", "agglo.docx", [
        ("file", "agglo.docx", "docx", [
            "Nous avons mis en place un observatoire de la mobilité avec des compteurs vélos, les données sont "
            "publiées chaque mois et réutilisées par les associations d'usagers.",
            "Cet outil pourrait être mutualisé avec d'autres intercommunalités grâce à un logiciel libre partagé "
            "et un appel à communs porté par l'ANCT.",
            "Le coût des licences des éditeurs de logiciels et la dépendance à un prestataire unique bloquent "
            "l'accès à nos propres données de transport."])]),
    ("Département des Hautes-Collines", "departement", "2023-05-20", "dept.pdf", [
        ("file", "dept.pdf", "pdf", [
            "Le Département souhaite un accès simplifié aux données de la CAF pour son observatoire social, "
            "aujourd'hui impossible en raison de l'absence de convention avec la CAF.",
            "La confiance des habitants suppose une protection stricte des données personnelles et le respect du RGPD "
            "dans chaque traitement mené par nos services.",
            "Merci."])]),
    ("Marie Leroy", "particulier", None, "avis-marie-leroy.txt", [  # a private person: her name is never shown
        ("file", "avis-marie-leroy.txt", "txt", [
            "En tant qu'habitant, je trouve que les données publiques de la commune devraient être ouvertes et "
            "mises à jour plus souvent sur le portail open data régional."])]),
]

# (passage text fragment, kind, span, label, canonical, status)
MENTIONS = [
    ("rénovation énergétique", "cas_usage", "piloter la rénovation énergétique des écoles", "energie", None, "impossible"),
    ("rénovation énergétique", "frein", "faute de données de consommation", "disponibilite_donnees", "données de consommation", None),
    ("rénovation énergétique", "acteur", "Enedis", "entreprise", "Enedis", None),
    ("manque de compétences", "frein", "manque de compétences des agents", "competences", "compétences", None),
    ("manque de compétences", "acteur", "préfecture", "etat_central", "Préfecture", None),
    ("manque de compétences", "acteur", "CNFPT", "etat_central", "CNFPT", None),
    ("financement des postes", "frein", "financement des postes de data analyst", "moyens_financiers", "postes", None),
    ("observatoire de la mobilité", "cas_usage", "observatoire de la mobilité avec des compteurs vélos", "mobilite", None, "realise"),
    ("mutualisé", "acteur", "ANCT", "etat_central", "ANCT", None),
    ("coût des licences", "frein", "coût des licences des éditeurs", "editeurs_logiciels", "licences", None),
    ("CAF pour son observatoire", "cas_usage", "observatoire social", "social_solidarites", None, "impossible"),
    ("CAF pour son observatoire", "frein", "absence de convention avec la CAF", "juridique_rgpd", "convention", None),
    ("CAF pour son observatoire", "acteur", "CAF", "operateur_etat", "CAF", None),
    ("confiance des habitants", "frein", "protection stricte des données personnelles", "confiance_citoyens", "données personnelles", None),
]

# passage fragment -> (axis, probability, axis_2, a_revoir, topic)
AXES = {
    "Bonjour": ("hors_axe", 0.9, "gouvernance", False, "t_divers"),
    "rénovation énergétique": ("acces_donnees", 0.82, "financement", False, "t_energie"),
    "manque de compétences": ("acculturation", 0.77, "gouvernance", False, "t_competences"),
    "instance de dialogue": ("gouvernance", 0.88, "acces_donnees", False, "t_gouvernance"),
    "financement des postes": ("financement", 0.64, "acculturation", False, "t_competences"),
    "observatoire de la mobilité": ("acces_donnees", 0.55, "passage_echelle", False, "t_mobilite"),
    "mutualisé": ("passage_echelle", 0.91, "acces_donnees", False, "t_mobilite"),
    "coût des licences": ("acces_donnees", 0.41, "financement", True, "t_energie"),
    "CAF pour son observatoire": ("acces_donnees", 0.71, "gouvernance", False, "t_energie"),
    "confiance des habitants": ("confiance", 0.86, "acces_donnees", False, "t_divers"),
    "Merci": ("hors_axe", 0.95, "confiance", False, "t_divers"),
    "En tant qu'habitant": ("acces_donnees", 0.38, "confiance", True, "t_divers"),
}

TOPICS = [("t_energie", "Données d'énergie et d'accès", "énergie, consommation, données, accès", False),
          ("t_competences", "Compétences et moyens", "compétences, formation, financement", False),
          ("t_gouvernance", "Gouvernance État-collectivités", "instance, dialogue, responsabilités", False),
          ("t_mobilite", "Mobilité et mutualisation", "mobilité, vélos, mutualisation", True),
          ("t_divers", "Divers", "", False)]


def _frame(rows: list[dict], table: str) -> pd.DataFrame:
    return validate(pd.DataFrame(rows, columns=[c.name for c in SCHEMAS[table].columns]), table) if rows else empty(table)


def build_tables() -> dict[str, pd.DataFrame]:
    """Every table of the schemas, consistent with one another."""
    rows: dict[str, list[dict]] = {name: [] for name in SCHEMAS}
    for (org, org_type, date, source, docs), email in zip(CONTRIBUTIONS, SENDER_EMAILS):
        cid = "c" + content_hash(source, n=15)
        rows["contributions"].append({
            "contribution_id": cid, "source_path": source, "source_format": docs[0][2], "sender_email": email,
            "sender_domain": email.split("@")[1], "organisation": org, "organisation_type": org_type,
            "organisation_evidence": "signature" if org else "none", "date": date, "subject": f"Contribution {source}",
            "language": "fr", "n_documents": len(docs), "near_duplicate_group": None, "problems": None})
        body_id = None
        for role, path, fmt, paragraphs in docs:
            text = "\n\n".join(paragraphs)
            doc_id = doc_id_for(text)
            body_id = doc_id if role == "body" else body_id
            rows["documents"].append({"doc_id": doc_id, "contribution_id": cid, "role": role, "path": path,
                                      "parent_doc_id": body_id if role == "attachment" else None, "format": fmt,
                                      "language": "fr", "text": text, "n_chars": len(text), "near_duplicate_group": None,
                                      "entities": None})
            rows["manifest"].append({"path": path, "parent_path": source if path != source else None,
                                     "sha256": content_hash(path, n=64), "size": len(text), "format": fmt,
                                     "status": "ok", "reason": None, "contribution_id": cid, "doc_ids": doc_id,
                                     "duplicate_of": None})
            start = 0
            for seq, paragraph in enumerate(paragraphs):
                start = text.index(paragraph, start)
                end = start + len(paragraph)
                rows["passages"].append({"passage_id": passage_id_for(doc_id, start, end), "doc_id": doc_id,
                                         "contribution_id": cid, "seq": seq, "heading": None, "text": paragraph,
                                         "start": start, "end": end, "n_words": len(paragraph.split())})
                start = end
    rows["manifest"] += [
        {"path": "copie-agglo.docx", "sha256": content_hash("agglo.docx", n=64), "size": 10, "format": "docx",
         "status": "duplicate", "reason": "exact duplicate of agglo.docx", "duplicate_of": "agglo.docx"},
        {"path": "scan.pdf", "sha256": content_hash("scan", n=64), "size": 10, "format": "pdf",
         "status": "failed", "reason": "no text layer (scanned PDF)"}]
    passages = pd.DataFrame(rows["passages"])

    def passage_of(fragment: str) -> dict:
        return passages[passages["text"].str.contains(fragment, regex=False)].iloc[0].to_dict()

    for fragment, (axis, prob, axis_2, revoir, topic) in AXES.items():
        pid = passage_of(fragment)["passage_id"]
        rows["axes"].append({"passage_id": pid, "axis": axis, "probability": prob, "axis_2": axis_2,
                             "probability_2": round(1 - prob, 2) / 2, "a_revoir": revoir, "model_version": "m1"})
        rows["passage_topics"].append({"passage_id": pid, "topic_key": topic, "probability": prob})
    mention_ids: dict[tuple[str, str], str] = {}
    for fragment, kind, span, label, canonical, status in MENTIONS:
        passage = passage_of(fragment)
        start = passage["text"].index(span)
        mid = "m" + content_hash(passage["passage_id"], kind, start, start + len(span), n=15)
        mention_ids[(fragment, kind)] = mid
        rows["mentions"].append({"mention_id": mid, "passage_id": passage["passage_id"], "kind": kind, "start": start,
                                 "end": start + len(span), "text": span, "label": label, "canonical": canonical,
                                 "status": status, "linked_mention_id": None, "rule": "fixture", "score": 0.8})
    for row in rows["mentions"]:  # link each impossible use case to the barrier of its passage
        for fragment in ("rénovation énergétique", "CAF pour son observatoire"):
            if row["mention_id"] == mention_ids[(fragment, "cas_usage")]:
                row["linked_mention_id"] = mention_ids[(fragment, "frein")]
    for key, label, words, emerging in TOPICS:
        members = [r["passage_id"] for r in rows["passage_topics"] if r["topic_key"] == key]
        rows["topics"].append({"topic_key": key, "model": "passages", "label": label, "words": words,
                               "size": len(members), "emerging": emerging, "parent_key": None,
                               "representative_ids": " ".join(members[:2])})
    rows["actor_links"] = [{"source": "CNFPT", "target": "Préfecture", "n_passages": 1, "n_contributions": 1}]
    for row in rows["mentions"]:
        if row["kind"] in ("frein", "cas_usage"):
            rows["mention_topics"].append({"mention_id": row["mention_id"], "model": "freins" if row["kind"] == "frein" else "cas_usage",
                                           "topic_key": "t_energie", "probability": 0.5})
    return {name: _frame(table_rows, name) for name, table_rows in rows.items()}


def build_processed(root: Path, skip: tuple[str, ...] = ()) -> Path:
    """Write the tables as parquet files in ``root`` (except those in ``skip``); return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, df in build_tables().items():
        if name not in skip:
            df.to_parquet(root / f"{name}.parquet", index=False)
    return root
