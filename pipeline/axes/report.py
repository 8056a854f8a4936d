"""Readable French summaries of the classifier's training and evaluation reports."""
from __future__ import annotations


def _pct(value) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def format_report(report: dict) -> str:
    """Multi-line French summary of a report from ``train_axes`` or ``evaluate_axes``."""
    lines = [f"Mode : {report['mode']} — pipeline retenu : {report['pipeline']}",
             f"Exemples : {report['n_examples']} (dont {report['n_corrections']} corrections), "
             f"lignes rejetées : {report['n_rejected_rows']}, embedder : {report['embedder']}",
             "Exemples par axe : " + ", ".join(f"{a} {n}" for a, n in report["class_counts"].items())]
    if report.get("axes_from_definitions"):
        lines.append("Axes sans exemple (définitions utilisées) : " + ", ".join(report["axes_from_definitions"]))
    cv = report.get("cv")
    if cv:
        lines.append(f"Validation croisée stratifiée ({cv['n_splits']} plis, graine {cv['seed']}, mêmes plis) :")
        for name, s in cv["candidates"].items():
            mark = "  <- retenu" if name == report["pipeline"] else ""
            lines.append(f"  {name:<26} macro-F1 {s['macro_f1']:.3f}  exactitude {s['accuracy']:.3f}{mark}")
        lines += _details(cv["chosen"], "  ")
    review = report.get("review", {})
    if "coverage" in review:
        lines.append(f"Seuil « à revoir » : {review['threshold']:.3f} (exactitude hors plis au-dessus : "
                     f"{_pct(review['accuracy_above'])}, cible {_pct(review['target_accuracy'])}, "
                     f"{_pct(1 - review['coverage'])} des passages à revoir)")
    else:
        lines.append(f"Seuil « à revoir » : {review.get('threshold')} ({review.get('note', '')})")
    for style, result in report.get("heldout", {}).items():
        lines.append(f"Test réservé « {style} » (n={result['n']}) : macro-F1 {result['macro_f1']:.3f}, "
                     f"exactitude {result['accuracy']:.3f}, zéro-shot macro-F1 {result['zero_shot_macro_f1']:.3f}"
                     + (f", {result['n_dropped_rows']} lignes ignorées" if result.get("n_dropped_rows") else ""))
        lines.append("    F1 par axe : " + ", ".join(f"{a} {s['f1']:.2f}" for a, s in result["per_axis"].items()))
    if report.get("model_version"):
        lines.append(f"Version du modèle : {report['model_version']}")
    return "\n".join(lines)


def _details(result: dict, indent: str) -> list[str]:
    lines = [f"{indent}Par axe (précision / rappel / F1 / effectif) :"]
    for axis, s in result["per_axis"].items():
        lines.append(f"{indent}  {axis:<16} {s['precision']:.2f} / {s['recall']:.2f} / {s['f1']:.2f} / {s['support']}")
    labels = result["confusion"]["labels"]
    lines.append(f"{indent}Matrice de confusion (lignes = vrai, colonnes = prédit) :")
    lines.append(f"{indent}  {'':<16}" + "".join(f"{lab[:6]:>7}" for lab in labels))
    for lab, row in zip(labels, result["confusion"]["matrix"]):
        lines.append(f"{indent}  {lab:<16}" + "".join(f"{v:>7}" for v in row))
    cal = result["calibration"]
    lines.append(f"{indent}Calibration : Brier {cal['brier']:.3f}, ECE {cal['ece']:.3f}; fiabilité "
                 + ", ".join(f"[{b['from']:.1f}-{b['to']:.1f}] n={b['n']} conf {b['confidence']:.2f} exact {b['accuracy']:.2f}"
                             for b in cal["bins"]))
    return lines
