"""The one-screen summary printed at the end of each run."""
from __future__ import annotations

from pipeline.config import RunConfig
from pipeline.store import Store


def summary_lines(config: RunConfig, reports: list) -> list[str]:
    """Lines of the summary: corpus counts, rejects by reason, time per stage."""
    store = Store(config.paths.processed)
    manifest = store.read("manifest")
    lines = [f"Run summary — raw: {config.paths.raw}  →  processed: {config.paths.processed}", ""]
    top = manifest[manifest["parent_path"].isna()] if not manifest.empty else manifest
    counts = [("files seen", len(top)), ("items (files, members, attachments)", len(manifest)),
              ("contributions", len(store.read("contributions"))), ("documents", len(store.read("documents"))),
              ("passages", len(store.read("passages"))), ("mentions", len(store.read("mentions"))),
              ("passages tagged with an axis", len(store.read("axes"))), ("topics", len(store.read("topics")))]
    lines += [f"  {label:<38}{value:>8}" for label, value in counts]
    if not manifest.empty:
        status = manifest["status"].value_counts().to_dict()
        lines.append("  items by status: " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())))
        bad = manifest[manifest["status"] != "ok"]
        if not bad.empty:
            lines += ["", "Rejected items by reason:"]
            generic = bad["reason"].fillna("").str.replace(r"^(same (?:bytes|text) as) .*$", r"\1 an earlier item", regex=True)
            reasons = (bad["status"] + " — " + generic).value_counts()
            lines += [f"  {n:>4}  {reason}" for reason, n in reasons.head(15).items()]
    lines += ["", f"  {'stage':<10}{'status':<9}{'in':>8}{'new':>8}{'seconds':>9}  rejects"]
    for r in reports:
        rejects = ", ".join(f"{k}: {v}" for k, v in r.rejects.items()) or "-"
        lines.append(f"  {r.name:<10}{r.status:<9}{r.n_in:>8}{r.n_new:>8}{r.seconds:>9.1f}  {rejects}")
        if r.retired:
            lines.append(f"  {'':<10}retired: " + ", ".join(f"{k} {v}" for k, v in r.retired.items()))
    lines.append(f"  total time {sum(r.seconds for r in reports):.1f} s; ledger: {store.root / 'runs.jsonl'}")
    return lines


def print_summary(config: RunConfig, reports: list) -> None:
    """Print the summary to stdout."""
    print("\n".join(summary_lines(config, reports)))
