"""The tree models: LightGBM boosters stored as text in the model files."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from qa.trees import TreeModel


@pytest.fixture(scope="module")
def model() -> TreeModel:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 5))
    y = ((x[:, 0] + 0.5 * x[:, 1] ** 2 - x[:, 2] * x[:, 3]) > 0.3).astype(int)
    x[rng.random(x.shape) < 0.05] = np.nan
    fitted = lgb.LGBMClassifier(n_estimators=40, num_leaves=7, random_state=0,
                                verbose=-1).fit(x, y)
    return TreeModel.from_booster(fitted.booster_, tuple("abcde"), "binary")


def test_round_trip_gives_the_same_predictions(model: TreeModel) -> None:
    rng = np.random.default_rng(1)
    test = rng.normal(size=(200, 5))
    test[rng.random(test.shape) < 0.1] = np.nan
    again = TreeModel.from_dict(model.to_dict())
    assert np.array_equal(again.raw(test), model.raw(test))
    p = model.predict(test)
    assert ((p > 0) & (p < 1)).all()
    assert model.predict(np.zeros((0, 5))).shape == (0,)


def test_bad_shapes_and_files_are_refused(model: TreeModel) -> None:
    with pytest.raises(ValueError, match="5 features"):
        model.predict(np.zeros((1, 3)))
    data = model.to_dict()
    with pytest.raises(ValueError, match="features"):
        TreeModel.from_dict({**data, "features": ["a", "b"]})
    with pytest.raises(ValueError, match="objective"):
        TreeModel.from_dict({**data, "objective": "huber"})
    with pytest.raises(ValueError, match="cannot read"):
        TreeModel.from_dict({**data, "lightgbm": "tree\nnot a model"})


def test_tree_ranges_add_up_to_the_whole(model: TreeModel) -> None:
    x = np.random.default_rng(2).normal(size=(50, 5))
    assert model.size == 40
    parts = model.raw(x, count=15) + model.raw(x, start=15)
    assert np.allclose(parts, model.raw(x), rtol=0, atol=1e-12)
