"""Privacy runs only the ``ner`` component of the shared pipeline: its entities must equal a full pipeline's."""
from __future__ import annotations

import spacy

from pipeline.privacy.ner import MODEL_NAME, entities_of, load_ner

TEXTS = [
    "Mme Claire Dubreuil, directrice des systèmes d'information de la Communauté de communes du Val d'Orme, "
    "a rencontré la DINUM et l'IGN à Paris le 12 mars.",
    "Contact : Jean-Baptiste Morvan, chargé de mission données, Métropole de Lyon.",
    "Les données de l'INSEE ne descendent pas sous l'échelle communale ; Enedis refuse de transmettre les courbes.",
]


def test_ner_component_alone_finds_the_same_entities_as_the_full_pipeline():
    shared = load_ner()
    full = spacy.load(MODEL_NAME)
    expected = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in full.pipe(TEXTS)]
    assert entities_of(shared, TEXTS) == expected
    assert any(label == "PER" for ents in expected for _, _, label in ents)


def test_worker_share_cuts_on_a_batch_boundary_and_only_for_large_batches():
    from pipeline.privacy.ner import MIN_PIECES_FOR_A_WORKER, worker_share

    assert worker_share(MIN_PIECES_FOR_A_WORKER - 1, 2, 32) == MIN_PIECES_FOR_A_WORKER - 1  # stays in-process
    assert worker_share(10_000, 1, 32) == 10_000
    cut = worker_share(10_000, 2, 32)
    assert cut % 32 == 0 and 5_000 <= cut <= 6_000


def test_a_worker_process_finds_the_same_entities(monkeypatch):
    import pipeline.privacy.ner as ner

    texts = [f"{t} (note {i})" for i in range(4) for t in TEXTS]
    alone = entities_of(load_ner(), texts, batch_size=2)
    monkeypatch.setattr(ner, "MIN_PIECES_FOR_A_WORKER", 2)
    assert ner.worker_share(len(texts), 2, 2) < len(texts)  # the worker gets a share
    assert entities_of(load_ner(), texts, batch_size=2, processes=2) == alone
    assert sum(label == "PER" for ents in alone for _, _, label in ents) >= 4
