"""Pseudonymisation of personal data before anything reaches rapporteurs.

Public API: :class:`Pseudonymiser` (per contribution, batched NER), :func:`find_personal_data`
(spans of one text), :func:`leak_report` (e-mails and phones left in outputs) and the stage
function :func:`pseudonymise_documents`. Evaluation: ``python -m pipeline.privacy.evaluate``.
"""
from pipeline.privacy.detect import PiiSpan, find_personal_data
from pipeline.privacy.patterns import leak_report
from pipeline.privacy.pseudonymiser import Pseudonymiser
from pipeline.privacy.stage import pseudonymise_documents

__all__ = ["PiiSpan", "Pseudonymiser", "find_personal_data", "leak_report", "pseudonymise_documents"]
