"""The learned span checks' common form: a standardised logistic regression and its decision threshold,
stored as plain JSON (no pickle) in the pattern folder's model files."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def rounded(values) -> list[float]:
    """``values`` as plain floats rounded to 6 decimals: the model files' JSON form of weights."""
    return [round(float(v), 6) for v in values]


@dataclass(frozen=True)
class ThresholdedLogistic:
    """Probability ``1 / (1 + exp(-((x - mean) / scale) @ coef - intercept))`` and the ``threshold`` a
    candidate's probability must reach to be kept."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float

    @staticmethod
    def fields_of(data: dict) -> dict:
        """The weights and threshold of a model file's entry, as constructor arguments."""
        return {"mean": np.asarray(data["mean"]), "scale": np.asarray(data["scale"]), "coef": np.asarray(data["coef"]),
                "intercept": float(data["intercept"]), "threshold": float(data["threshold"])}

    def weights_dict(self) -> dict:
        """Plain-JSON form of the weights and threshold (read back by :meth:`fields_of`)."""
        return {"mean": rounded(self.mean), "scale": rounded(self.scale), "coef": rounded(self.coef),
                "intercept": round(float(self.intercept), 6), "threshold": self.threshold}

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Probability for each row of ``features`` (an empty array for no rows)."""
        features = np.asarray(features, dtype=np.float64)
        if not len(features):
            return np.zeros(0)
        return 1.0 / (1.0 + np.exp(-(((features - self.mean) / self.scale) @ self.coef + self.intercept)))
