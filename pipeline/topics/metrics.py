"""Topic quality measures: NPMI coherence over document co-occurrence, word diversity, baselines."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def npmi_coherence(topics_words: Sequence[Sequence[str]], lemma_docs: Sequence[str], top_n: int = 10) -> float:
    """Mean NPMI of word pairs within each topic's top words; a pair never seen together scores -1.

    Probabilities are document frequencies of the (lemmatised) n-grams in ``lemma_docs``.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    vocab = sorted({w for words in topics_words for w in list(words)[:top_n]})
    if not vocab:
        return float("nan")
    presence = CountVectorizer(vocabulary=vocab, token_pattern=r"\S+", lowercase=False, ngram_range=(1, 3),
                               binary=True).fit_transform(lemma_docs).tocsc()
    n_docs = presence.shape[0]
    doc_freq = np.asarray(presence.sum(axis=0)).ravel() / n_docs
    cooc = (presence.T @ presence).toarray() / n_docs
    index = {w: i for i, w in enumerate(vocab)}
    scores = []
    for words in topics_words:
        ids = [index[w] for w in list(words)[:top_n] if doc_freq[index[w]] > 0]
        pair_scores = []
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                joint = cooc[ids[a], ids[b]]
                if joint <= 0:
                    pair_scores.append(-1.0)
                elif joint >= 1:
                    pair_scores.append(1.0)
                else:
                    pmi = np.log(joint / (doc_freq[ids[a]] * doc_freq[ids[b]]))
                    pair_scores.append(pmi / -np.log(joint))
        if pair_scores:
            scores.append(float(np.mean(pair_scores)))
    return float(np.mean(scores)) if scores else float("nan")


def unigram_words(words: Sequence[str], top_n: int = 10) -> list[str]:
    """The first ``top_n`` distinct single words of a topic's word list (n-grams split, order kept).

    Coherence and diversity compare methods on the same footing: BERTopic's and the baselines'
    lists mix unigrams and bigrams, and a bigram is rarer in documents than its words.
    """
    out: list[str] = []
    for term in words:
        for w in term.split():
            if w not in out:
                out.append(w)
    return out[:top_n]


def topic_diversity(topics_words: Sequence[Sequence[str]], top_n: int = 10) -> float:
    """Share of unique words among all topics' top words (1 = no word shared)."""
    words = [w for ws in topics_words for w in list(ws)[:top_n]]
    return len(set(words)) / len(words) if words else float("nan")


def kmeans_baseline(lemma_docs: Sequence[str], k: int, seed: int) -> tuple[np.ndarray, list[list[str]]]:
    """TF-IDF + KMeans: labels and each cluster's top-10 terms (highest centroid weights)."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    from pipeline.topics.model import build_vectorizer

    params = build_vectorizer(len(lemma_docs)).get_params()
    tfidf = TfidfVectorizer(**{k_: v for k_, v in params.items() if k_ in TfidfVectorizer().get_params()},
                            sublinear_tf=True)
    matrix = tfidf.fit_transform(lemma_docs)
    model = KMeans(n_clusters=k, random_state=seed, n_init=10).fit(matrix)
    vocab = tfidf.get_feature_names_out()
    words = [[str(vocab[j]) for j in np.argsort(-center)[:10]] for center in model.cluster_centers_]
    return model.labels_, words


def lda_baseline(lemma_docs: Sequence[str], k: int, seed: int) -> tuple[np.ndarray, list[list[str]]]:
    """Count vectors + LDA: most probable topic per document and each topic's top-10 terms."""
    from sklearn.decomposition import LatentDirichletAllocation

    from pipeline.topics.model import build_vectorizer

    vectorizer = build_vectorizer(len(lemma_docs))
    counts = vectorizer.fit_transform(lemma_docs)
    lda = LatentDirichletAllocation(n_components=k, random_state=seed, learning_method="batch", max_iter=20)
    doc_topics = lda.fit_transform(counts)
    vocab = vectorizer.get_feature_names_out()
    words = [[str(vocab[j]) for j in np.argsort(-comp)[:10]] for comp in lda.components_]
    return doc_topics.argmax(axis=1), words
