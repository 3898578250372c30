"""Gradient-boosted trees evaluated with numpy: the learned models ship as plain arrays.

The training scripts fit LightGBM and convert its model (`Booster.dump_model()`) with
`TreeEnsemble.from_lightgbm`; the product only needs numpy to score, so loading a model is
reading a JSON file (milliseconds) and no pickle or native library is involved. All trees
are walked together, one level per step, so scoring 100 rows costs a few vectorised
operations per tree level, not a Python loop per tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["TreeEnsemble"]


@dataclass(frozen=True)
class TreeEnsemble:
    """Binary-split trees over a flat node table. Node k: `feature[k]` (-1 for a leaf),
    `threshold[k]`, children `left[k]`/`right[k]` (row goes left when value <= threshold, or
    when the value is NaN and `nan_left[k]`), `value[k]` for leaves. `roots[t]` is tree t's
    first node. The raw score is `base + sum of the leaves reached`; `predict` applies the
    logistic function (binary objective)."""

    feature: NDArray[np.int32]
    threshold: NDArray[np.float64]
    left: NDArray[np.int32]
    right: NDArray[np.int32]
    nan_left: NDArray[np.bool_]
    value: NDArray[np.float64]
    roots: NDArray[np.int32]
    features: tuple[str, ...]
    base: float = 0.0

    def raw(self, x: NDArray[np.float32]) -> NDArray[np.float64]:
        """Raw scores (log-odds) of the rows of `x` (rows, len(features))."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.features):
            raise ValueError(f"expected rows of {len(self.features)} features, got {x.shape}")
        nodes = np.broadcast_to(self.roots, (len(x), len(self.roots))).copy()
        rows = np.arange(len(x))[:, None]
        while True:
            feat = self.feature[nodes]
            inner = feat >= 0
            if not inner.any():
                break
            values = x[rows, np.where(inner, feat, 0)]
            go_left = np.where(np.isnan(values), self.nan_left[nodes],
                               values <= self.threshold[nodes])
            step = np.where(go_left, self.left[nodes], self.right[nodes])
            nodes = np.where(inner, step, nodes)
        return self.base + self.value[nodes].sum(axis=1)

    def predict(self, x: NDArray[np.float32]) -> NDArray[np.float64]:
        """Probabilities (logistic of `raw`)."""
        return 1.0 / (1.0 + np.exp(-self.raw(x)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features), "base": self.base,
            "feature": self.feature.tolist(), "threshold": self.threshold.tolist(),
            "left": self.left.tolist(), "right": self.right.tolist(),
            "nan_left": self.nan_left.astype(int).tolist(), "value": self.value.tolist(),
            "roots": self.roots.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TreeEnsemble:
        n = len(data["feature"])
        arrays = {k: data[k] for k in ("feature", "threshold", "left", "right", "nan_left",
                                        "value")}
        if any(len(v) != n for v in arrays.values()):
            raise ValueError("the tree arrays have different lengths")
        ensemble = cls(
            feature=np.asarray(data["feature"], np.int32),
            threshold=np.asarray(data["threshold"], np.float64),
            left=np.asarray(data["left"], np.int32), right=np.asarray(data["right"], np.int32),
            nan_left=np.asarray(data["nan_left"], bool),
            value=np.asarray(data["value"], np.float64),
            roots=np.asarray(data["roots"], np.int32),
            features=tuple(data["features"]), base=float(data.get("base", 0.0)),
        )
        inner = ensemble.feature >= 0
        if (ensemble.feature >= len(ensemble.features)).any() or (
            inner & ((ensemble.left < 0) | (ensemble.left >= n) | (ensemble.right < 0)
                     | (ensemble.right >= n))).any() or (ensemble.roots >= n).any():
            raise ValueError("the tree arrays point outside themselves")
        return ensemble

    @classmethod
    def from_lightgbm(cls, dump: dict[str, Any], features: tuple[str, ...]) -> TreeEnsemble:
        """Convert `lightgbm.Booster.dump_model()` (numerical splits only)."""
        feature: list[int] = []
        threshold: list[float] = []
        left: list[int] = []
        right: list[int] = []
        nan_left: list[bool] = []
        value: list[float] = []
        roots: list[int] = []

        def add(node: dict[str, Any]) -> int:
            k = len(feature)
            feature.append(-1)
            threshold.append(0.0)
            left.append(-1)
            right.append(-1)
            nan_left.append(False)
            value.append(0.0)
            if "leaf_value" in node:
                value[k] = float(node["leaf_value"])
                return k
            if node.get("decision_type", "<=") != "<=":
                raise ValueError("only numerical '<=' splits are supported")
            feature[k] = int(node["split_feature"])
            threshold[k] = float(node["threshold"])
            # LightGBM sends a missing value the default way (NaN counts as missing when
            # missing_type is NaN; with None, NaN is treated as 0.0 and compared).
            if node.get("missing_type") == "NaN":
                nan_left[k] = bool(node.get("default_left", True))
            else:
                nan_left[k] = float(node["threshold"]) >= 0.0
            left[k] = add(node["left_child"])
            right[k] = add(node["right_child"])
            return k

        for tree in dump["tree_info"]:
            roots.append(add(tree["tree_structure"]))
        return cls(np.asarray(feature, np.int32), np.asarray(threshold, np.float64),
                   np.asarray(left, np.int32), np.asarray(right, np.int32),
                   np.asarray(nan_left, bool), np.asarray(value, np.float64),
                   np.asarray(roots, np.int32), tuple(features))
