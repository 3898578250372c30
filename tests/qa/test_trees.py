"""The numpy tree evaluator gives LightGBM's own predictions, NaN included."""

from __future__ import annotations

import numpy as np
import pytest

from qa.trees import TreeEnsemble

lgb = pytest.importorskip("lightgbm", reason="lightgbm is in the 'train' extra")


def test_matches_lightgbm_on_random_data() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 5))
    y = ((x[:, 0] + 0.5 * x[:, 1] ** 2 - x[:, 2] * x[:, 3]) > 0.3).astype(int)
    x[rng.random(x.shape) < 0.05] = np.nan  # missing values go the learned way
    model = lgb.LGBMClassifier(n_estimators=40, num_leaves=7, random_state=0,
                               verbose=-1).fit(x, y)
    trees = TreeEnsemble.from_lightgbm(model.booster_.dump_model(), tuple("abcde"))
    test = rng.normal(size=(200, 5))
    test[rng.random(test.shape) < 0.1] = np.nan
    assert np.allclose(trees.predict(test), model.predict_proba(test)[:, 1], atol=1e-9)
    again = TreeEnsemble.from_dict(trees.to_dict())
    assert np.array_equal(again.raw(test), trees.raw(test))


def test_shape_and_damage_are_refused() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(100, 2)), rng.integers(0, 2, 100)
    model = lgb.LGBMClassifier(n_estimators=3, num_leaves=3, verbose=-1).fit(x, y)
    trees = TreeEnsemble.from_lightgbm(model.booster_.dump_model(), ("a", "b"))
    with pytest.raises(ValueError, match="2 features"):
        trees.predict(np.zeros((1, 3)))
    data = trees.to_dict()
    data["left"][trees.roots[0]] = 10_000
    with pytest.raises(ValueError, match="outside"):
        TreeEnsemble.from_dict(data)
    data = trees.to_dict()
    data["value"] = data["value"][:-1]
    with pytest.raises(ValueError, match="lengths"):
        TreeEnsemble.from_dict(data)
