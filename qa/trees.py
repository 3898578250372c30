"""Gradient-boosted trees for the learned parts, scored by LightGBM.

The training scripts fit LightGBM models and store them as LightGBM's own text format
inside the model file (no pickle); loading one parses that text (milliseconds for the
small models shipped), scoring runs LightGBM's C++ on one thread (a question's 40-200
rows in about a millisecond, where walking the trees in numpy took 10-60 ms).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["TreeModel"]

Objective = Literal["binary", "lambdarank"]


@dataclass(frozen=True, eq=False)
class TreeModel:
    """A LightGBM booster over named `features`; `predict` gives probabilities for a binary
    model and the logistic of the ranking score for a ranker (a 0-1 confidence, monotone in
    the score)."""

    booster: Any  # lightgbm.Booster
    features: tuple[str, ...]
    objective: Objective

    def raw(self, x: NDArray[np.float32], *, start: int = 0,
            count: int | None = None) -> NDArray[np.float64]:
        """The sum of the trees' outputs for each row: of all the trees, or of `count`
        trees from tree `start` (the sums over consecutive ranges add up to the whole)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.features):
            raise ValueError(f"expected rows of {len(self.features)} features, got {x.shape}")
        if not len(x):
            return np.zeros(0)
        return np.asarray(self.booster.predict(x, raw_score=True, start_iteration=start,
                                               num_iteration=count, num_threads=1))

    @property
    def size(self) -> int:
        """How many trees the model has."""
        return int(self.booster.num_trees())

    def predict(self, x: NDArray[np.float32]) -> NDArray[np.float64]:
        return 1.0 / (1.0 + np.exp(-self.raw(x)))

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "objective": self.objective,
                "lightgbm": self.booster.model_to_string()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TreeModel:
        """Raises ValueError for a model text LightGBM cannot read or that does not match
        its feature list."""
        import lightgbm

        features = tuple(data["features"])
        objective = data["objective"]
        if objective not in ("binary", "lambdarank"):
            raise ValueError(f"unknown objective {objective!r}")
        try:
            booster = lightgbm.Booster(model_str=str(data["lightgbm"]))
        except lightgbm.basic.LightGBMError as e:
            raise ValueError(f"LightGBM cannot read the model ({e})") from e
        if booster.num_feature() != len(features):
            raise ValueError(f"the model has {booster.num_feature()} features, the file "
                             f"names {len(features)}")
        return cls(booster, features, objective)

    @classmethod
    def from_booster(cls, booster: Any, features: tuple[str, ...],
                     objective: Objective) -> TreeModel:
        import lightgbm

        return cls(lightgbm.Booster(model_str=booster.model_to_string()), features, objective)
