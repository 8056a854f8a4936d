"""Results API: joins and helpers on a small consistent processed folder, and on the real one if built."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.results import display_name, load_results
from pipeline.schemas import SCHEMAS
from results_fixture import SENDER_EMAILS, build_processed

REAL_PROCESSED = Path(__file__).resolve().parents[1] / "data" / "processed"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return load_results(build_processed(tmp_path_factory.mktemp("processed")))


def test_restricted_columns_never_loaded(results):
    for name, table in results.tables.items():
        restricted = {c.name for c in SCHEMAS[name].columns if c.restricted}
        assert not restricted & set(table.columns), name
    assert results.contributions.set_index("organisation_type").loc["particulier", "organisation"] is pd.NA
    everything = pd.concat([results.passages.astype(str), results.mentions.astype(str)], axis=1).to_string()
    assert not any(email in everything for email in SENDER_EMAILS)


def test_passages_joined_with_contribution_document_axis_topic_and_mentions(results):
    p = results.passages.set_index("passage_id")
    assert len(p) == len(results.table("passages"))
    caf = p[p["text"].str.contains("CAF pour son observatoire")].iloc[0]
    assert caf["organisation"] == "Département des Hautes-Collines"
    assert caf["organisation_type"] == "departement" and caf["date"] == "2023-05-20"
    assert caf["doc_path"] == "dept.pdf" and caf["doc_format"] == "pdf"
    assert caf["axis"] == "acces_donnees" and caf["probability"] == pytest.approx(0.71) and not caf["a_revoir"]
    assert caf["topic_key"] == "t_energie" and caf["topic_label"] == "Données d'énergie et d'accès"
    assert caf["frein"] == "juridique_rgpd" and caf["cas_usage"] == "social_solidarites" and caf["acteurs"] == "CAF"
    assert caf["locator"] == "dept.pdf, passage 1"
    attachment = p[p["doc_path"] == "saint-aubin.eml#1:note.pdf"]
    assert set(attachment["locator"]) == {"saint-aubin.eml#1:note.pdf, passage 1", "saint-aubin.eml#1:note.pdf, passage 2"}


def test_mentions_carry_their_passage_context(results):
    m = results.mentions
    assert m["contribution_id"].notna().all() and m["passage_text"].notna().all()
    for row in m.itertuples():
        assert row.passage_text[row.start:row.end] == row.text


def test_quotes_by_axis_are_verbatim_ranked_and_one_per_contribution_first(results):
    q = results.quotes(axis="acces_donnees", n=3)
    assert len(q) == 3 and q["contribution_id"].is_unique
    passages = results.passages.set_index("passage_id")
    for row in q.itertuples():
        assert passages.loc[row.passage_id, "text"] == row.texte
        assert passages.loc[row.passage_id, "axis"] == "acces_donnees"
    # the highest-probability long passage comes first; the short low-confidence one is not picked
    assert q.iloc[0]["texte"].startswith("Nous souhaitons piloter")
    assert not q["texte"].str.startswith("En tant qu'habitant").any()
    assert len(results.quotes(axis="acces_donnees", n=10)) == 5


def test_quotes_by_mention_label_actor_and_topic(results):
    q = results.quotes(frein_label="competences")
    assert list(q["extrait"]) == ["manque de compétences des agents"]
    assert q.iloc[0]["organisation"] == "Commune de Saint-Aubin-des-Prés"
    assert list(results.quotes(actor="CAF")["extrait"]) == ["CAF"]
    assert list(results.quotes(cas_usage_label="mobilite")["extrait"]) == ["observatoire de la mobilité avec des compteurs vélos"]
    topic = results.quotes(topic_key="t_mobilite", n=5)
    assert set(topic["texte"].str[:20]) == {"Nous avons mis en pl", "Cet outil pourrait ê"}
    both = results.quotes(axis="acculturation", frein_label="competences")
    assert len(both) == 1 and results.quotes(axis="gouvernance", frein_label="competences").empty


def test_counts_by_org_type(results):
    counts = results.counts_by_org_type().set_index("organisation_type")
    assert counts["n_contributions"].to_dict() == {"commune": 1, "intercommunalite": 1, "departement": 1, "particulier": 1}
    assert counts.loc["commune", "n_passages"] == 5 and counts.loc["commune", "type"] == "Commune"
    on_axis = results.counts_by_org_type(axis="acces_donnees").set_index("organisation_type")
    assert on_axis.loc["intercommunalite", "n_passages"] == 2 and on_axis["n_passages"].sum() == 5
    freins = results.counts_by_org_type(kind="frein", label="competences")
    assert freins["n_contributions"].sum() == 1


def test_search_actors_cocitations_and_impossible_use_cases(results):
    hits = results.search("caf")
    assert len(hits) == 1 and hits.iloc[0]["organisation"] == "Département des Hautes-Collines"
    top = results.actors_top(2)
    assert len(top) == 2 and set(top.columns) >= {"acteur", "categorie", "n_contributions"}
    assert results.actors_top(10).set_index("acteur").loc["CAF", "categorie"] == "Opérateur de l'État"
    assert results.co_citations(5)[["source", "target"]].values.tolist() == [["CNFPT", "Préfecture"]]
    impossible = results.impossible_use_cases().set_index("cas_usage")
    assert impossible.loc["observatoire social", "frein"] == "absence de convention avec la CAF"
    assert impossible.loc["piloter la rénovation énergétique des écoles", "categorie_frein"] == "Disponibilité des données"


def test_summaries_rejects_and_labels(results):
    summary = results.axis_summary().set_index("axis")
    assert summary["n_passages"].sum() == 12 and summary.loc["acces_donnees", "n_a_revoir"] == 2
    assert summary["part"].sum() == pytest.approx(1.0)
    assert summary.loc["gouvernance", "nom"].startswith("Mettre en place une gouvernance")
    assert set(results.rejected_items()["status"]) == {"duplicate", "failed"}
    assert display_name("frein", "juridique_rgpd") == "Juridique et RGPD"
    assert display_name("frein", "nouvelle_categorie") == "nouvelle categorie"


def test_missing_tables_load_empty(tmp_path):
    r = load_results(build_processed(tmp_path, skip=("axes", "topics", "passage_topics", "mentions", "actor_links")))
    assert not r.has("axes") and r.has("passages")
    assert r.passages["axis"].isna().all()
    assert r.quotes(axis="gouvernance").empty and r.actors_top().empty and r.impossible_use_cases().empty
    assert len(r.quotes(n=2)) == 2


@pytest.mark.skipif(not (REAL_PROCESSED / "contributions.parquet").exists(), reason="data/processed not built")
def test_real_processed_folder_loads():
    r = load_results(REAL_PROCESSED)
    assert "sender_email" not in r.contributions.columns
    assert len(r.passages) == len(r.table("passages"))
    assert r.passages["organisation_type"].notna().all()
    if r.has("mentions"):
        q = r.quotes(frein_label=r.mention_counts("frein")["label"].iloc[0], n=3)
        assert len(q) and q["texte"].str.len().gt(0).all()


def test_subset_by_organisation_type(results):
    communes = results.subset(organisation_type="commune")
    assert len(communes.contributions) == 1 and len(communes.passages) == 5
    assert set(communes.mentions["contribution_id"]) == set(communes.contributions["contribution_id"])
    assert communes.co_citations()[["source", "target", "n_passages"]].values.tolist() == [["CNFPT", "Préfecture", 1]]
    assert set(communes.quotes(axis="acces_donnees", n=5)["organisation"]) == {"Commune de Saint-Aubin-des-Prés"}
    assert results.subset(organisation_type="region").passages.empty
    assert len(results.passages) == 12  # the original is untouched


def test_topic_quotes_for_passage_and_mention_themes(tmp_path):
    from results_fixture import build_tables

    tables = build_tables()
    mention_ids = list(tables["mention_topics"]["mention_id"])
    extra = tables["topics"].iloc[:1].copy()
    extra[["topic_key", "model", "label", "representative_ids"]] = ["f_donnees", "freins", "Accès", mention_ids[-1]]
    tables["topics"] = pd.concat([tables["topics"], extra], ignore_index=True)
    tables["mention_topics"]["topic_key"] = "f_donnees"
    for name, df in tables.items():
        df.to_parquet(tmp_path / f"{name}.parquet", index=False)
    r = load_results(tmp_path)
    assert r.topic_quotes("t_mobilite", n=5).equals(r.quotes(topic_key="t_mobilite", n=5))
    q = r.topic_quotes("f_donnees", n=3)
    last = r.mentions.set_index("mention_id").loc[mention_ids[-1]]
    assert q.iloc[0]["extrait"] == last["text"] and q.iloc[0]["texte"] == last["passage_text"]
    assert q["passage_id"].is_unique and q["contribution_id"].is_unique and len(q) == 3
