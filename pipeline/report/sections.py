"""The sections of the HTML report, one function each: Results in, an HTML <section> out."""
from __future__ import annotations

from html import escape

import pandas as pd

from pipeline.report.common import h, html_table, na, quotes_html
from pipeline.report.svg import PALETTE, bar_chart, column_chart, network
from pipeline.results import Results, display_name

SECTIONS = [("corpus", "Corpus"), ("axes", "Les six axes"), ("freins", "Freins et cas d'usage"),
            ("themes", "Thèmes"), ("acteurs", "Acteurs"), ("methode", "Méthode et qualité")]


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{body}</section>'


def _counts(series: pd.Series, kind: str | None = None) -> list[tuple[str, float]]:
    counts = series.fillna("inconnu").value_counts()
    return [(display_name(kind, k) if kind else str(k), float(v)) for k, v in counts.items()]


def corpus_section(r: Results) -> str:
    """Corpus summary: key figures, contributions by organisation type and month, formats, rejects."""
    if not r.has("contributions"):
        return _section("corpus", "Synthèse du corpus", na("Contributions"))
    c, p = r.contributions, r.passages
    figures = [("contributions", len(c)), ("documents", len(r.table("documents"))), ("passages", len(p)),
               ("organisations identifiées", c["organisation"].dropna().nunique()),
               ("mentions repérées", len(r.mentions))]
    body = ['<div class="figures">' + "".join(f'<div class="figure"><strong>{v}</strong>{escape(k)}</div>'
                                              for k, v in figures) + "</div>"]
    body.append("<h3>Contributions par type d'organisation</h3>")
    body.append(bar_chart(_counts(c["organisation_type"], "organisation_type"), "Contributions par type d'organisation"))
    months = c["date"].fillna("").str.slice(0, 7).replace("", "date inconnue").value_counts().sort_index()
    body.append("<h3>Contributions par mois</h3>")
    body.append(column_chart([(k, float(v)) for k, v in months.items()], "Contributions par mois"))
    body.append("<h3>Formats des documents</h3>")
    body.append(bar_chart(_counts(r.table("documents")["format"]), "Documents par format", color=PALETTE[2]))
    n_passages = p.groupby("contribution_id").size()
    listing = c.assign(type=c["organisation_type"].map(lambda k: display_name("organisation_type", k)),
                       nom=c["organisation"].fillna("Organisation non identifiée"),
                       n_passages=c["contribution_id"].map(n_passages).fillna(0).astype(int)).sort_values(["type", "nom"])
    body.append(f"<details><summary>Liste des {len(c)} contributions (lien vers chacune)</summary>"
                + html_table(listing, {"nom": "Organisation", "type": "Type", "date": "Date", "n_passages": "Passages"},
                             numeric=("n_passages",), links={"nom": ("contribution_id", None)}) + "</details>")
    rejected = r.rejected_items()
    body.append(f"<h3>Fichiers écartés ({len(rejected)})</h3>")
    if r.has("manifest"):
        rejected = rejected.assign(fichier=rejected["path"].str.rsplit("/", n=1).str[-1],
                                   statut=rejected["status"].map({"duplicate": "doublon", "skipped": "ignoré",
                                                                  "failed": "échec"}).fillna(rejected["status"]))
        body.append(html_table(rejected, {"fichier": "Fichier", "format": "Format", "statut": "Statut", "reason": "Raison"}))
    else:
        body.append(na("Manifeste"))
    return _section("corpus", "Synthèse du corpus", "".join(body))


def axes_section(r: Results) -> str:
    """The six axes: share of passages, organisation types, top barriers and use cases, three quotes each."""
    if not r.has("axes"):
        return _section("axes", "Les six axes du rapport", na("Classement des passages par axe"))
    summary = r.axis_summary()
    body = ["<p>Chaque passage est rattaché à l'axe le plus probable. Les passages dont la probabilité est faible "
            "sont marqués « à revoir » et listés dans le classeur Excel.</p>",
            bar_chart([(display_name("axes_short", a), 100 * s) for a, s in zip(summary["axis"], summary["part"])],
                      "Part des passages par axe (%)", value_format="{:.1f} %")]
    body.append(html_table(summary.assign(nom_court=summary["axis"].map(lambda a: display_name("axes_short", a))),
                           {"nom_court": "Axe", "n_passages": "Passages", "part": "Part", "n_contributions": "Contributions",
                            "n_a_revoir": "À revoir"}, numeric=("n_passages", "n_contributions", "n_a_revoir"), percent=("part",)))
    for row in summary.itertuples(index=False):
        if row.axis == "hors_axe":
            continue
        body.append(f'<h3 id="axe-{escape(row.axis)}">{escape(row.nom)}</h3>')
        body.append(f"<p>{row.n_passages} passage(s), {100 * row.part:.1f} % des passages classés, "
                    f"{row.n_contributions} contribution(s).</p>")
        if not row.n_passages:
            continue
        by_type = r.counts_by_org_type(axis=row.axis).sort_values("n_passages", ascending=False)
        body.append(bar_chart([(t, float(n)) for t, n in zip(by_type["type"], by_type["n_passages"]) if n],
                              f"Passages de l'axe par type d'organisation", color=PALETTE[0]))
        themes = r.passages.loc[r.passages["axis"] == row.axis, "topic_label"].dropna().value_counts().head(3)
        if len(themes):
            body.append("<p><strong>Principaux thèmes :</strong> " + ", ".join(f"{h(t)} ({n})" for t, n in themes.items()) + "</p>")
        for kind, title in (("frein", "Principaux freins"), ("cas_usage", "Principaux cas d'usage")):
            top = r.mention_counts(kind, axis=row.axis).head(5)
            items = ", ".join(f"{escape(n)} ({k})" for n, k in zip(top["nom"], top["n_contributions"])) if len(top) else "aucun repéré"
            body.append(f"<p><strong>{title} :</strong> {items}</p>")
        body.append(quotes_html(r.quotes(axis=row.axis, n=3)))
    return _section("axes", "Les six axes du rapport", "".join(body))


def _mention_block(r: Results, kind: str, title: str) -> str:
    counts = r.mention_counts(kind)
    if counts.empty:
        return f"<h3>{escape(title)}</h3>" + na(title)
    out = [f"<h3>{escape(title)}</h3>", bar_chart([(n, float(k)) for n, k in zip(counts["nom"], counts["n_contributions"])],
                                                  f"{title} : contributions", color=PALETTE[3 if kind == "frein" else 2])]
    out.append(html_table(counts, {"nom": "Catégorie", "n_contributions": "Contributions", "n_passages": "Passages",
                                   "n_mentions": "Mentions"}, numeric=("n_contributions", "n_passages", "n_mentions")))
    for label, name in zip(counts["label"].head(8), counts["nom"].head(8)):
        filters = {"frein_label": label} if kind == "frein" else {"cas_usage_label": label}
        out.append(f"<h4>{escape(name)}</h4>" + quotes_html(r.quotes(n=2, **filters)))
    return "".join(out)


def freins_section(r: Results) -> str:
    """Barrier categories and use-case domains with examples, use cases declared impossible."""
    if not r.has("mentions"):
        return _section("freins", "Freins et cas d'usage", na("Mentions de freins et de cas d'usage"))
    body = [_mention_block(r, "frein", "Catégories de freins"), _mention_block(r, "cas_usage", "Domaines de cas d'usage")]
    status = r.mentions.loc[r.mentions["kind"] == "cas_usage", "status"]
    body.append("<h3>Statut des cas d'usage</h3>" + bar_chart(_counts(status, "status"), "Cas d'usage par statut"))
    impossible = r.impossible_use_cases()
    impossible["passage"] = impossible["texte"].map(lambda t: t if len(str(t)) <= 240 else str(t)[:238] + "…")
    body.append(f"<h3>Cas d'usage déclarés impossibles ({len(impossible)})</h3>")
    body.append(html_table(impossible, {"organisation": "Organisation", "cas_usage": "Cas d'usage", "domaine": "Domaine",
                                        "frein": "Frein lié", "categorie_frein": "Catégorie du frein", "passage": "Passage",
                                        "locator": "Source"},
                           links={"locator": ("contribution_id", "passage_id")}))
    return _section("freins", "Freins et cas d'usage", "".join(body))


def themes_section(r: Results) -> str:
    """Themes of each topic model: label, size, words, quotes; emerging themes flagged."""
    if not r.has("topics"):
        return _section("themes", "Thèmes", na("Thèmes"))
    model_order = {"passages": 0, "freins": 1, "cas_usage": 2}
    topics = r.topics.assign(_order=r.topics["model"].map(model_order).fillna(3)).sort_values(["_order", "size"],
                                                                                          ascending=[True, False])
    body = ["<p>Thèmes trouvés automatiquement (BERTopic). Un thème <span class=\"badge emerging\">émergent</span> "
            "est apparu lors d'une mise à jour avec de nouvelles contributions.</p>"]
    emerging = topics[topics["emerging"].fillna(False).astype(bool)]
    body.append(f"<p><strong>{len(emerging)} thème(s) émergent(s)</strong>"
                + (" : " + ", ".join(h(l) for l in emerging["label"].fillna(emerging["topic_key"])) if len(emerging) else "")
                + ".</p>")
    model_names = {"passages": "Thèmes des passages", "freins": "Thèmes des freins", "cas_usage": "Thèmes des cas d'usage"}
    for model, group in topics.groupby("model", sort=False):
        body.append(f"<h3>{escape(model_names.get(model, model))}</h3>")
        body.append(bar_chart([(l, float(s)) for l, s in zip(group["label"].fillna(group["topic_key"]), group["size"])],
                              f"Taille des thèmes ({model})", color=PALETTE[5]))
        for t in group.itertuples(index=False):
            badge = ' <span class="badge emerging">émergent</span>' if pd.notna(t.emerging) and bool(t.emerging) else ""
            body.append(f"<h4>{h(t.label or t.topic_key)}{badge}</h4><p class=\"muted\">{int(t.size or 0)} élément(s) — "
                        f"mots : {h(t.words)}</p>")
            body.append(quotes_html(r.topic_quotes(t.topic_key, n=3 if model == "passages" else 2)))
    return _section("themes", "Thèmes", "".join(body))


def actors_section(r: Results) -> str:
    """Most cited actors, co-citations table and network."""
    top = r.actors_top(20)
    if top.empty:
        return _section("acteurs", "Réseau d'acteurs", na("Acteurs cités"))
    body = ["<h3>Acteurs les plus cités</h3>",
            bar_chart([(a, float(n)) for a, n in zip(top["acteur"], top["n_contributions"])],
                      "Contributions citant l'acteur", color=PALETTE[4]),
            html_table(top, {"acteur": "Acteur", "categorie": "Catégorie", "n_contributions": "Contributions",
                             "n_passages": "Passages", "n_mentions": "Mentions"},
                       numeric=("n_contributions", "n_passages", "n_mentions"))]
    for actor in top["acteur"].head(3):
        body.append(f"<h4>{h(actor)}</h4>" + quotes_html(r.quotes(actor=actor, n=1)))
    pairs = r.co_citations(20)
    body.append("<h3>Co-citations (acteurs cités dans un même passage)</h3>")
    if pairs.empty:
        body.append(na("Co-citations"))
    else:
        body.append(html_table(pairs, {"source": "Acteur", "target": "Acteur", "n_passages": "Passages",
                                       "n_contributions": "Contributions"}, numeric=("n_passages", "n_contributions")))
        names = list(dict.fromkeys(list(top["acteur"].head(15)) + list(pairs["source"].head(10)) + list(pairs["target"].head(10))))[:20]
        weight = dict(zip(top["acteur"], top["n_contributions"]))
        body.append(network([(n, float(weight.get(n, 1))) for n in names],
                            [(s, t, float(w)) for s, t, w in zip(pairs["source"], pairs["target"], pairs["n_passages"])],
                            "Réseau des co-citations"))
    return _section("acteurs", "Réseau d'acteurs", "".join(body))


def _key(key: str) -> str:
    return display_name("model_keys", key)


def method_section(r: Results) -> str:
    """Models, versions, evaluation figures when present, share of passages to review, stage rejects."""
    body = ["<p>Chaîne de traitement : ingestion des fichiers (courriels, PDF, DOCX, ODT, archives), pseudonymisation, "
            "découpage en passages, repérage des freins, cas d'usage et acteurs (règles spaCy), thèmes (BERTopic), "
            "classement des passages dans les axes (classifieur entraîné sur des exemples annotés).</p>"]
    if r.has("axes"):
        axes = r.table("axes")
        share = float(axes["a_revoir"].fillna(False).mean())
        versions = ", ".join(sorted(axes["model_version"].dropna().unique())) or "inconnue"
        body.append(f"<p>Passages classés : {len(axes)} ; à revoir : {int(axes['a_revoir'].fillna(False).sum())} "
                    f"({100 * share:.1f} %). Version du classifieur : <code>{escape(versions)}</code>.</p>")
    else:
        body.append(na("Classement par axe"))
    models = r.model_metadata()
    body.append("<h3>Modèles</h3>")
    if not models:
        body.append('<p class="na">Aucune métadonnée de modèle trouvée dans le dossier models/.</p>')
    for meta in models:
        scalars = {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool)) and len(str(v)) < 200}
        nested = {k: v for k, v in meta.items() if isinstance(v, dict) and all(isinstance(x, (int, float)) for x in v.values())}
        rows = [(_key(k), v) for k, v in scalars.items()] + [
            (f"{_key(k)} : {display_name('axes_short', kk) if k == 'class_counts' else _key(kk)}", vv)
            for k, v in nested.items() for kk, vv in v.items()]
        body.append(f"<h4>{h(meta['file'])}</h4>" + html_table(pd.DataFrame(rows, columns=["cle", "valeur"]),
                                                               {"cle": "Paramètre", "valeur": "Valeur"}))
    rejects = r.stage_rejects()
    body.append("<h3>Éléments écartés par les étapes</h3>")
    body.append(html_table(rejects, {"stage": "Étape", "reason": "Raison", "n": "Nombre"}, numeric=("n",))
                if not rejects.empty else '<p class="muted">Aucun rejet enregistré.</p>')
    return _section("methode", "Méthode et qualité", "".join(body))
