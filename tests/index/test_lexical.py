from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.lexical import LexicalIndex, tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("the of and", []),
        ("Summits", ["summit"]),
        ("Horyu-ji", ["horyu", "ji", "horyuji"]),
        ("killed 183 workers in 1942", ["kill", "183", "worker", "1942"]),
        ("Japan's PM", ["japan", "pm"]),
        ("Café ÉLAN", ["café", "élan"]),
        ("AI—chips", ["ai", "chip"]),  # an em dash separates, it does not join
        ("ｆｕｌｌｗｉｄｔｈ", ["fullwidth"]),
    ],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_tokenize_is_shared_by_documents_and_queries() -> None:
    assert set(tokenize("Who visited Horyuji?")) & set(tokenize("the Horyu-ji temple"))


def _index() -> LexicalIndex:
    docs = ["river park council", "electric ferry order", "comet observatory", ""]
    return LexicalIndex.build([tokenize(d) for d in docs], np.array([3, 7, 8, 20]))


def test_search_returns_rows_best_first() -> None:
    hits = _index().search("which council approved the river park?", 5)
    assert [row for row, _ in hits] == [3]
    assert hits[0][1] > 0


def test_search_restricted_to_rows() -> None:
    index = _index()
    assert index.search("ferry comet", 5, rows=np.array([8, 99]))[0][0] == 8
    assert [r for r, _ in index.search("ferry comet", 5, rows=np.array([8]))] == [8]
    assert index.search("ferry", 5, rows=np.array([], dtype=np.int64)) == []


@pytest.mark.parametrize("query", ["", "the", "zzzz unknown"])
def test_search_without_matching_terms_is_empty(query: str) -> None:
    assert _index().search(query, 5) == []


def test_save_load_round_trip(tmp_path: Path) -> None:
    index = _index()
    index.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    assert loaded.search("ferry comet", 5) == index.search("ferry comet", 5)
    assert loaded.size == 4


def test_empty_index(tmp_path: Path) -> None:
    empty = LexicalIndex.build([], np.array([], dtype=np.int64))
    empty.save(tmp_path / "lex")
    assert LexicalIndex.load(tmp_path / "lex").search("anything", 3) == []


def test_rows_must_ascend() -> None:
    with pytest.raises(ValueError, match="ascending"):
        LexicalIndex.build([["a"], ["b"]], np.array([2, 1]))


def test_idf_ranks_rare_terms_higher() -> None:
    docs = [["park", "river"], ["park", "ferry"], ["park", "comet"]]
    index = LexicalIndex.build(docs, np.array([0, 1, 2]))
    park, ferry, unseen = index.idf(["park", "ferry", "unseen"])
    assert 0 < park < ferry < unseen
    assert ferry == pytest.approx(np.log1p((3 - 1 + 0.5) / 1.5))
    assert LexicalIndex.build([], np.array([], dtype=np.int64)).idf(["x"]) == [0.0]
