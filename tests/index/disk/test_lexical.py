from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.disk.bm25 import LexicalIndex, LexicalPart
from index.disk.lexical import LexicalSegment, tokenize


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


def test_tokenize_stem_cache_gives_the_stemmers_terms(monkeypatch: pytest.MonkeyPatch) -> None:
    import Stemmer

    from index.disk import lexical

    stemmer = Stemmer.Stemmer("english")
    text = "Running runners ran; the well-known runner's runs, running again"
    plain = [w for w in lexical._PART_RE.findall(text.lower()) if w not in lexical._STOPWORDS]
    expected = stemmer.stemWords([*plain, "wellknown"])
    assert tokenize(text) == expected
    assert tokenize(text) == expected  # now from the cache
    monkeypatch.setattr(lexical, "_STEMS_MAX", 2)  # full: the cache starts again
    assert tokenize(text) == expected
    assert len(lexical._STEMS) <= len(set(lexical._PART_RE.findall(text.lower())))


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


def _segment(docs: list[str], rows: list[int]) -> LexicalSegment:
    return LexicalSegment.build([tokenize(d) for d in docs], np.array(rows, dtype=np.int64))


def test_save_load_round_trip(tmp_path: Path) -> None:
    index = _index()
    index.parts[0].segment.save(tmp_path / "lex")
    loaded = LexicalIndex([LexicalPart(LexicalSegment.load(tmp_path / "lex"))])
    assert loaded.search("ferry comet", 5) == index.search("ferry comet", 5)
    assert loaded.size == 4


def test_empty_index(tmp_path: Path) -> None:
    empty = LexicalSegment.build([], np.array([], dtype=np.int64))
    empty.save(tmp_path / "lex")
    loaded = LexicalIndex([LexicalPart(LexicalSegment.load(tmp_path / "lex"))])
    assert loaded.search("anything", 3) == []
    assert LexicalIndex([]).search("anything", 3) == []


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


_DOCS = [
    "the river park council approved a new river park",
    "an electric ferry order for the harbour",
    "the comet observatory opened to the public",
    "council members debated the ferry timetable and the park budget",
    "",
    "harbour cranes replaced after an inspection of the harbour",
]


def test_scores_equal_bm25s_lucene() -> None:
    """The counts-based index scores exactly like bm25s's precomputed Lucene BM25."""
    import bm25s

    tokens = [tokenize(d) for d in _DOCS]
    ours = LexicalIndex.build(tokens, np.arange(len(_DOCS)) * 2)
    reference = bm25s.BM25()
    reference.index(tokens, show_progress=False)
    for query in ["river park", "harbour ferry council", "comet comet", "budget timetable"]:
        expected = reference.get_scores(tokenize(query))
        got = dict(ours.search(query, 10))
        for position, score in enumerate(expected):
            assert got.get(position * 2, 0.0) == pytest.approx(float(score), abs=1e-5)


def _hits(index: LexicalIndex, query: str) -> list[tuple[int, float]]:
    return [(row, round(score, 5)) for row, score in index.search(query, 10)]


@pytest.mark.parametrize("removed", [[], [0], [2, 6], [0, 2, 4, 6, 8, 10]])
def test_segments_with_tombstones_equal_a_fresh_build(removed: list[int], tmp_path: Path) -> None:
    """Documents tombstoned in one segment and added in another score exactly as one
    fresh segment of the live documents: N, the average length and every term's document
    frequency come from all segments together, tombstones left out."""
    tokens = [tokenize(d) for d in _DOCS]
    rows = np.arange(len(_DOCS), dtype=np.int64) * 2
    added = [tokenize("a new ferry terminal for the harbour"), tokenize("zebra crossing")]
    added_rows = np.array([20, 23])
    base = LexicalSegment.build(tokens, rows)
    base.save(tmp_path / "base")
    extra = LexicalSegment.build(added, added_rows)
    live = ~np.isin(rows, removed)
    segmented = LexicalIndex([LexicalPart(LexicalSegment.load(tmp_path / "base"), live),
                              LexicalPart(extra)])
    keep = [i for i, row in enumerate(rows) if row not in removed]
    fresh = LexicalIndex.build([tokens[i] for i in keep] + added,
                               np.concatenate([rows[keep], added_rows]))
    merged = LexicalIndex([LexicalPart(LexicalSegment.merged([(base, live),
                                                              (extra, np.ones(2, bool))]))])
    for query in ["harbour ferry", "river park council", "zebra", "comet observatory"]:
        assert segmented.search(query, 10) == fresh.search(query, 10) == merged.search(query, 10)
        assert np.array_equal(segmented.score_rows(query, np.array([0, 2, 20, 23, 99])),
                              fresh.score_rows(query, np.array([0, 2, 20, 23, 99])))
    assert segmented.idf(["harbour", "zebra"]) == fresh.idf(["harbour", "zebra"])
    assert segmented.size == fresh.size == len(keep) + 2


def test_segments_must_not_overlap() -> None:
    with pytest.raises(ValueError, match="ascend"):
        LexicalIndex([LexicalPart(_segment(["a"], [5])), LexicalPart(_segment(["c"], [3]))])


def test_grouped_sums_documents() -> None:
    segment = _segment(["ferry ferry", "harbour", "comet"], [0, 1, 2])
    grouped = LexicalIndex([LexicalPart(segment.grouped(np.array([0, 0, 1]), 2), offset=10)])
    assert [row for row, _ in grouped.search("harbour ferry", 5)] == [10]
    assert grouped.score_rows("comet", np.array([10, 11]))[1] > 0


def test_load_refuses_inconsistent_files(tmp_path: Path) -> None:
    _index().parts[0].segment.save(tmp_path / "lex")
    np.save(tmp_path / "lex" / "term_docs.npy", np.array([0, 99999], dtype=np.int32))
    with pytest.raises(ValueError):
        LexicalSegment.load(tmp_path / "lex")


def test_load_recognises_the_earlier_bm25s_format(tmp_path: Path) -> None:
    import bm25s

    from index.disk.lexical import LegacyLexicalFormat

    reference = bm25s.BM25()
    reference.index([["river", "park"], ["ferry"]], show_progress=False)
    reference.save(str(tmp_path / "lex"), allow_pickle=False)
    np.save(tmp_path / "lex" / "rows.npy", np.array([0, 1]))
    with pytest.raises(LegacyLexicalFormat):
        LexicalSegment.load(tmp_path / "lex")
