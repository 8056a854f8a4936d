"""Axis classifier: tags every passage with one of the six axes of the report (or ``hors_axe``).

See ``pipeline/axes/README.md`` for the training data, the model format and the correction loop.
"""
from pipeline.axes.annotate import export_for_annotation
from pipeline.axes.data import TrainingSet, load_heldout, load_training_set
from pipeline.axes.definitions import axis_ids, load_axes
from pipeline.axes.model import LinearAxisModel, ModelIntegrityError, load_model, save_model
from pipeline.axes.stage import (classify_passages, classify_texts, evaluate_axes, load_or_train, model_dir,
                                 train_axes)

__all__ = ["classify_passages", "classify_texts", "train_axes", "evaluate_axes", "export_for_annotation",
           "load_or_train", "model_dir", "load_training_set", "load_heldout", "TrainingSet", "axis_ids",
           "load_axes", "LinearAxisModel", "ModelIntegrityError", "load_model", "save_model"]
