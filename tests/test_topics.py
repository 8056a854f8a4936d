"""Topic clustering on a generated French corpus with six clear themes (real embedder, real BERTopic)."""
from __future__ import annotations

import dataclasses
import random
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import normalized_mutual_info_score

from pipeline.config import EmbeddingConfig, TopicsConfig
from pipeline.embeddings import EmbeddingCache, get_embedder
from pipeline.topics import load_topic_model, run_topics
from pipeline.topics.french import french_stop_words, readable_label, surface_forms
from pipeline.topics.model import embedder_backend
from pipeline.topics.registry import Registry, TopicEntry, match_keys

THEMES = {
    "energie": ["la rénovation énergétique des bâtiments communaux", "la consommation d'électricité des écoles",
                "les panneaux solaires installés sur les toits", "le chauffage des gymnases",
                "la facture énergétique de la commune", "l'éclairage public la nuit",
                "la production d'énergie renouvelable locale", "les compteurs de gaz des bâtiments"],
    "mobilite": ["les horaires des bus et des cars scolaires", "le covoiturage entre villages",
                 "les pistes cyclables le long de la départementale", "la fréquentation des trains régionaux",
                 "le stationnement en centre-ville", "les trajets domicile-travail en voiture",
                 "les vélos en libre-service", "les arrêts de transport en commun"],
    "eau": ["les fuites du réseau d'eau potable", "la qualité de l'eau des rivières",
            "l'assainissement des eaux usées", "les relevés des compteurs d'eau",
            "la sécheresse et les nappes phréatiques", "les stations d'épuration",
            "le prix de l'eau pour les abonnés", "les captages d'eau potable"],
    "formation": ["la formation des agents aux outils numériques", "l'acculturation des élus à la donnée",
                  "les ateliers de sensibilisation pour les secrétaires de mairie", "le tutoriel pour les agents",
                  "les compétences des équipes en analyse", "la montée en compétences des techniciens",
                  "les sessions de formation en ligne", "le recrutement d'un chargé de mission formé"],
    "financement": ["le budget consacré aux projets", "les subventions de l'État et de la région",
                    "le coût des licences logicielles", "l'appel à projets financé par l'Europe",
                    "le manque de crédits d'investissement", "la dotation pour les petites communes",
                    "le cofinancement des postes", "les moyens financiers pour recruter"],
    "confiance": ["la protection des données personnelles des habitants", "la sécurité informatique face aux cyberattaques",
                  "le respect du RGPD par les prestataires", "la confiance des citoyens envers les algorithmes",
                  "la transparence sur l'usage des données", "le consentement des usagers",
                  "l'anonymisation des fichiers avant publication", "le piratage des serveurs de la mairie"],
}
NEW_THEME = ["les urgences de l'hôpital", "les rendez-vous chez le médecin généraliste", "la vaccination des enfants",
             "les déserts médicaux en zone rurale", "les lits disponibles à la maternité", "les pharmacies de garde",
             "la téléconsultation avec les infirmiers", "le centre de santé intercommunal"]
OPENERS = ["Nous suivons {a} et {b}.", "Il faut mieux connaître {a} ainsi que {b}.",
           "Notre collectivité s'intéresse à {a}, notamment {b}.", "Les tableaux de bord décrivent {a} puis {b}.",
           "Un problème concerne {a} et surtout {b}.", "Nous voulons analyser {a} avec {b}."]


def make_passages(themes: dict[str, list[str]], per_theme: int, seed: int, prefix: str) -> pd.DataFrame:
    """Short passages mixing two phrases of one theme in a random template."""
    rng = random.Random(seed)
    rows = []
    for theme, phrases in themes.items():
        for i in range(per_theme):
            a, b, c = rng.sample(phrases, 3)
            text = rng.choice(OPENERS).format(a=a, b=b) + " " + rng.choice(OPENERS).format(a=c, b=a)
            rows.append({"passage_id": f"{prefix}{theme[:3]}{i:03d}", "text": text, "theme": theme})
    df = pd.DataFrame(rows)
    df["contribution_id"] = "c" + (df.index % 20).astype(str)
    return df


@pytest.fixture(scope="session")
def embedder():
    return get_embedder(EmbeddingConfig())


@pytest.fixture(scope="session")
def corpus() -> pd.DataFrame:
    return make_passages(THEMES, 34, seed=1, prefix="p")


def _mentions(passages: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in passages.itertuples():
        span = r.text.split(".")[0][:60]
        kind = "frein" if int(r.passage_id[-3:]) % 2 else "cas_usage"
        rows.append({"mention_id": "m" + r.passage_id, "passage_id": r.passage_id, "kind": kind, "text": span})
    return pd.DataFrame(rows)


def _contributions() -> pd.DataFrame:
    return pd.DataFrame({"contribution_id": [f"c{i}" for i in range(20)],
                         "organisation_type": ["commune" if i % 2 else None for i in range(20)],
                         "date": [f"2023-0{1 + i % 3}-15" if i % 5 else None for i in range(20)]})


def _run(passages, embedder, models_dir, previous=None, **config):
    cache = EmbeddingCache(embedder.model_id)
    axes = pd.DataFrame({"passage_id": passages["passage_id"], "axis": "gouvernance"})
    return run_topics(passages, _mentions(passages), axes, _contributions(), previous,
                      TopicsConfig(**config), embedder, cache, Path(models_dir))


@pytest.fixture(scope="session")
def first_run(corpus, embedder, tmp_path_factory):
    models = tmp_path_factory.mktemp("models") / "topics"
    return models, _run(corpus, embedder, models)


def test_stop_words_keep_domain_words():
    stop = french_stop_words()
    assert {"notamment", "également", "ainsi", "le", "de"} <= stop
    assert not {"collectivité", "données", "donnée"} & stop


def test_label_uses_surface_forms_and_skips_redundant_terms():
    surface = surface_forms(["donnée ouvert donnée"], ["données ouvertes données"], ["donnée ouvert", "donnée"])
    assert surface == {"donnée ouvert": "données ouvertes", "donnée": "données"}
    label = readable_label(["donnée", "donnée ouvert", "licence", "réutilisation"],
                           {"donnée ouvert": "données ouvertes", "licence": "licences"})
    assert label == "Données ouvertes, licences et réutilisation"


def test_hungarian_matching_respects_threshold():
    old = Registry("passages", "x", [TopicEntry("t-a", 0, "", []), TopicEntry("t-b", 1, "", [])],
                   np.eye(3, dtype=np.float32)[:2])
    new = np.array([[0, 1, 0], [0, 0, 1], [0.9, 0.1, 0]], dtype=np.float32)
    new /= np.linalg.norm(new, axis=1, keepdims=True)
    assert match_keys(new, old, 0.7) == {0: "t-b", 2: "t-a"}


def test_tiny_input_goes_to_divers_with_a_record(embedder, tmp_path):
    small = make_passages({"eau": THEMES["eau"]}, 8, seed=3, prefix="s")
    tables = _run(small, embedder, tmp_path)
    assert set(tables["passage_topics"]["topic_key"]) == {"passages-divers"}
    assert tables["rejects"]["reason"].str.startswith("corpus_trop_petit").any()
    assert tables["topics"].set_index("topic_key").loc["passages-divers", "size"] == len(small)


@pytest.mark.slow
def test_themes_recovered_and_every_passage_assigned(first_run, corpus):
    _, tables = first_run
    pt = tables["passage_topics"].merge(corpus, on="passage_id")
    assert len(pt) == len(corpus) and pt["topic_key"].notna().all()
    assigned = pt[pt["topic_key"] != "passages-divers"]
    assert normalized_mutual_info_score(assigned["theme"], assigned["topic_key"]) > 0.8
    topics = tables["topics"][tables["topics"]["model"] == "passages"]
    divers = topics[topics["topic_key"] == "passages-divers"].iloc[0]
    assert "non classés" in divers["label"] and divers["size"] / len(corpus) <= 0.10
    real = topics[topics["topic_key"] != "passages-divers"]
    assert 5 <= len(real) <= 9 and real["label"].str.len().gt(3).all()
    assert real["representative_ids"].str.split().map(len).eq(3).all()


@pytest.mark.slow
def test_mentions_hierarchy_and_cross_tables(first_run):
    _, tables = first_run
    assert set(tables["mention_topics"]["model"]) == {"freins", "cas_usage"}
    hierarchy = tables["topic_hierarchy"]
    leaves = set(tables["topics"].query("model == 'passages' and topic_key != 'passages-divers'")["topic_key"])
    assert leaves <= set(hierarchy["node_key"]) and hierarchy["parent_key"].isna().sum() >= 1
    assert tables["topic_axis"]["n_passages"].sum() >= len(tables["passage_topics"])
    assert {"commune", "inconnu"} <= set(tables["topic_org_type"]["organisation_type"])
    assert "inconnu" in set(tables["topic_time"]["month"])


@pytest.mark.slow
def test_safetensors_round_trip_without_pickle(first_run, embedder):
    models, _ = first_run
    files = [p for p in models.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".safetensors") for p in files)
    assert not [p for p in files if p.suffix in (".pkl", ".pickle", ".joblib", ".bin")]
    model = load_topic_model(models / "passages", embedder_backend(embedder))
    registry = Registry.load(models / "passages")
    indexed = {t.index for t in registry.topics}
    assert indexed == set(model.get_topic_info()["Topic"]) - {-1}


@pytest.mark.slow
def test_second_fresh_run_gives_identical_tables(first_run, corpus, embedder, tmp_path):
    _, tables = first_run
    again = _run(corpus, embedder, tmp_path)
    pd.testing.assert_frame_equal(again["passage_topics"], tables["passage_topics"])
    pd.testing.assert_frame_equal(again["topics"], tables["topics"])


@pytest.fixture(scope="session")
def grown_corpus(corpus):
    extra = make_passages({"sante": NEW_THEME}, 30, seed=5, prefix="n")
    more = make_passages({k: v for k, v in THEMES.items() if k in ("eau", "energie")}, 6, seed=9, prefix="x")
    return pd.concat([corpus, extra, more], ignore_index=True)


@pytest.mark.slow
def test_update_keeps_old_keys_and_adds_an_emerging_theme(first_run, grown_corpus, corpus, embedder, tmp_path):
    import shutil

    models, tables = first_run
    shutil.copytree(models, tmp_path / "topics")
    updated = _run(grown_corpus, embedder, tmp_path / "topics", previous=tables)
    old = tables["passage_topics"].merge(updated["passage_topics"], on="passage_id", suffixes=("_old", "_new"))
    assert len(old) == len(corpus) and (old["topic_key_old"] == old["topic_key_new"]).all()
    emerging = updated["topics"][updated["topics"]["emerging"]]
    assert len(emerging) >= 1 and set(emerging["model"]) >= {"passages"}
    health = updated["passage_topics"][updated["passage_topics"]["passage_id"].str.startswith("n")]
    assert health["topic_key"].isin(emerging["topic_key"]).mean() >= 0.8
    known = updated["passage_topics"].merge(grown_corpus, on="passage_id")
    known = known[known["passage_id"].str.startswith("x")]
    first = tables["passage_topics"].merge(corpus, on="passage_id").groupby("theme")["topic_key"].agg(
        lambda s: s.mode()[0])
    assert (known["topic_key"] == known["theme"].map(first)).mean() >= 0.8


def _refit_copy(first_run, corpus, embedder, tmp_path):
    """Refit on ``corpus`` from a copy of the first run's models: (first tables, refit tables)."""
    import shutil

    models, tables = first_run
    shutil.copytree(models, tmp_path / "topics")
    return tables, _run(corpus, embedder, tmp_path / "topics", previous=tables, refit=True)


@pytest.mark.slow
def test_refit_matches_old_keys(first_run, grown_corpus, embedder, tmp_path):
    tables, refit = _refit_copy(first_run, grown_corpus, embedder, tmp_path)
    old_keys = set(tables["topics"].query("model == 'passages'")["topic_key"])
    new_keys = set(refit["topics"].query("model == 'passages'")["topic_key"])
    assert len(old_keys & new_keys - {"passages-divers"}) >= 5
    kept = tables["passage_topics"].merge(refit["passage_topics"], on="passage_id")
    assert (kept["topic_key_x"] == kept["topic_key_y"]).mean() >= 0.9


def test_missing_mentions_axes_and_contributions_give_empty_tables(embedder, tmp_path):
    small = make_passages({"eau": THEMES["eau"]}, 5, seed=4, prefix="e")
    tables = run_topics(small, None, None, None, None, TopicsConfig(), embedder,
                        EmbeddingCache(embedder.model_id), tmp_path)
    assert tables["mention_topics"].empty and tables["topic_axis"].empty
    assert set(tables["topic_org_type"]["organisation_type"]) == {"inconnu"}
    assert set(tables["topics"]["topic_key"]) == {"passages-divers", "freins-divers", "cas_usage-divers"}


@pytest.mark.slow
def test_refit_on_the_same_data_keeps_the_keys(first_run, corpus, embedder, tmp_path):
    tables, refit = _refit_copy(first_run, corpus, embedder, tmp_path)
    old = set(tables["topics"].query("model == 'passages'")["topic_key"])
    assert set(refit["topics"].query("model == 'passages'")["topic_key"]) == old
    kept = tables["passage_topics"].merge(refit["passage_topics"], on="passage_id")
    assert (kept["topic_key_x"] == kept["topic_key_y"]).mean() >= 0.95
    labels = " ".join(refit["topics"]["label"])
    assert not re.search(r"(?i)(personne|email|telephone|adresse)_\d", labels)


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


@pytest.mark.slow
def test_labels_are_distinct_noun_phrases_of_member_texts(first_run, corpus):
    _, tables = first_run
    topics = tables["topics"][~tables["topics"]["topic_key"].str.endswith("-divers")]
    mentions = _mentions(corpus).merge(corpus[["passage_id", "text"]].rename(columns={"text": "passage"}),
                                       on="passage_id")
    members = pd.concat([
        tables["passage_topics"].merge(corpus, on="passage_id")[["topic_key", "text"]],
        tables["mention_topics"].merge(mentions, on="mention_id")[["topic_key", "text"]],
        tables["mention_topics"].merge(mentions, on="mention_id")[["topic_key", "passage"]].rename(
            columns={"passage": "text"})])
    for model, group in topics.groupby("model"):
        assert group["label"].is_unique, group["label"].tolist()
    for topic in topics.itertuples():
        texts = members.loc[members["topic_key"] == topic.topic_key, "text"].map(_normalised)
        assert 2 <= len(topic.label.split()) <= 6 and topic.label[0].isupper()
        assert texts.str.contains(_normalised(topic.label), regex=False).any(), topic.label
        assert topic.words and topic.label.lower() != topic.words.lower()  # keywords stay a separate list
    passage_labels = topics[topics["model"] == "passages"]["label"]
    assert passage_labels.str.contains(r"\b(?:des|de|du|d'|aux?|en|la)\b", regex=True).any()  # articles kept


def test_mentions_embed_only_spans_and_their_cached_passages(embedder, tmp_path):
    from pipeline.embeddings import EmbeddingCache as Cache
    from pipeline.topics.stage import mention_items
    from pipeline.topics.themes import model_topics

    passages = make_passages({"eau": THEMES["eau"]}, 5, seed=6, prefix="w")
    mentions = _mentions(passages).assign(kind="frein")
    items, _ = mention_items(mentions, passages, "frein")
    cache = Cache(embedder.model_id)
    out = model_topics("freins", items, None, TopicsConfig(), embedder, cache, tmp_path / "freins")
    assert set(cache.vectors) == {Cache.key(t) for t in list(mentions["text"]) + list(passages["text"])}
    assert len(out.assignments) == len(mentions)


def test_passage_model_fitted_in_a_worker_gives_the_same_tables(first_run, corpus, embedder, tmp_path):
    """The worker route (forced from 1 passage) gives the tables of one process; its cache entries come back."""
    from pipeline.topics.french import Lemmatiser
    from pipeline.topics.stage import passage_model_in_worker

    config = TopicsConfig(worker_from_passages=1)
    models = tmp_path / "topics"
    assert passage_model_in_worker(len(corpus), models, config, embedder)
    cache = EmbeddingCache(embedder.model_id)
    axes = pd.DataFrame({"passage_id": corpus["passage_id"], "axis": "gouvernance"})
    tables = run_topics(corpus, _mentions(corpus), axes, _contributions(), None, config, embedder, cache, models,
                        embedding=EmbeddingConfig())
    _, expected = first_run
    assert set(tables) == set(expected)
    for name in expected:  # every table, mention models included: they see the same caches either way
        pd.testing.assert_frame_equal(tables[name], expected[name], obj=name)
    assert (models / "passages" / "registry.json").exists()
    assert {EmbeddingCache.key(t) for t in corpus["text"]} <= set(cache.vectors)
    saved = Lemmatiser.load(models / "lemmas.parquet")
    assert len(saved.cached_entries(list(corpus["text"]))) == corpus["text"].nunique()
    # the model is saved: the next run updates it in this process
    assert not passage_model_in_worker(len(corpus), models, config, embedder)
    assert not passage_model_in_worker(len(corpus), tmp_path / "none", TopicsConfig(), embedder)
