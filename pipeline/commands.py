"""Commands beside the stages (evaluation, training, reports); each delegates to its package."""
from __future__ import annotations

import importlib

from pipeline.config import RunConfig

# command -> (module, function); the function takes (config, argv) and returns an exit code.
COMMANDS = {
    "classify-text": ("pipeline.axes.commands", "classify_text_command"),
    "train-axes": ("pipeline.axes.commands", "train_command"),
    "evaluate-axes": ("pipeline.axes.commands", "evaluate_command"),
    "annotate": ("pipeline.axes.commands", "annotate_command"),
    "evaluate-nlp": ("pipeline.commands", "evaluate_nlp_command"),
    "evaluate-privacy": ("pipeline.commands", "evaluate_privacy_command"),
    "evaluate-topics": ("pipeline.commands", "evaluate_topics_command"),
    "report": ("pipeline.report.html", "command"),
    "export": ("pipeline.report.excel", "command"),
    "schemas": ("pipeline.commands", "schemas_command"),
    "recover": ("pipeline.commands", "recover_command"),
}


def dispatch(name: str, config: RunConfig, argv: list[str]) -> int:
    """Run command ``name`` with the configuration and its remaining arguments."""
    module_name, function_name = COMMANDS[name]
    function = getattr(importlib.import_module(module_name), function_name)
    return int(function(config, argv) or 0)


def schemas_command(config: RunConfig, argv: list[str]) -> int:
    """Print the documented schemas as Markdown."""
    from pipeline.schemas import schema_markdown

    print(schema_markdown())
    return 0


def recover_command(config: RunConfig, argv: list[str]) -> int:
    """Roll forward an interrupted commit."""
    from pipeline.store import Store

    store = Store(config.paths.processed)
    store.acquire()
    try:
        done = store.recover()
    finally:
        store.release()
    print(f"recovered {done} pending rename(s) in {config.paths.processed}")
    return 0


def evaluate_nlp_command(config: RunConfig, argv: list[str]) -> int:
    """Mention extraction against the gold set and the shared-corpus rates (``--gold``, ``--shared``)."""
    from pipeline.nlp.evaluate import main

    return main(argv)


def evaluate_privacy_command(config: RunConfig, argv: list[str]) -> int:
    """Pseudonymisation recall on planted personal data (``--n``, ``--corpora``)."""
    from pipeline.privacy.evaluate import main

    return main(argv)


def evaluate_topics_command(config: RunConfig, argv: list[str]) -> int:
    """Topic quality and stability on the 2015 consultation (``--shared``)."""
    from pipeline.topics.evaluate import main

    return main(argv)
