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
