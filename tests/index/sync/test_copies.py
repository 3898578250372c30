"""Syndicated copies: detection (shingles, MinHash bands, exact verification), the groups
and the copy cited first, incremental upkeep as articles come and go, and folding in readers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from corpus import Article
from index import HashEmbedder, build_index, index_info, open_index, remove_articles
from index.disk.copies import load_copies
from index.disk.layout import COPIES_FILE, live_generation
from index.sync.copies import METHOD, comparison, detect_copies, shingles

BODY = [
    "The Port Alder city council approved the Harbor Authority's ferry plan on Friday, "
    "clearing the way for a passenger line to Kelp Island.",
    "The vote was 6-3 after a four-hour debate in which residents of the old fish market "
    "district argued that the new terminal would bring heavy traffic to their streets.",
    "Council member Alma Reyes, who voted against the plan, said the $38 million cost was "
    "too high for a city of 60,000 people.",
    "The authority said it would order the first of two electric boats within weeks.",
]


def article(aid: str, paragraphs: list[str], *, day: date | None = date(2026, 3, 10),
            byline: str | None = None, title: str = "Port Alder council backs ferry plan"
            ) -> Article:
    return Article(aid, title, tuple(paragraphs), f"{aid}.txt", day, byline)


def detect(articles: list[Article], previous=None):  # type: ignore[no-untyped-def]
    by_id = {a.id: a for a in articles}
    return detect_copies(previous, {a.id: a.content_hash for a in articles}, by_id.__getitem__)


def test_shingles_are_word_runs_lower_cased() -> None:
    assert shingles("One two, THREE four five six") == {b"one two three four five",
                                                         b"two three four five six"}
    assert shingles("Too short") == {b"too short"}
    assert shingles("") == set()


@pytest.mark.parametrize(("edit", "same"), [
    (lambda p: ["WIRE (Coastal) — " + p[0], *p[1:]], True),  # a dateline tagline
    (lambda p: p[:-1], True),  # the last paragraph trimmed
    (lambda p: [p[0].replace("Friday", "Friday night"), *p[1:], "Copyright Coastal Wire."],
     True),
    (lambda p: p[:1], False),  # a quarter of the story: a brief, not a copy
    (lambda p: [BODY[3]] + ["A different story about the harbor, told with other words "
                            "entirely, about boats and fishing and the weather."] * 1, False),
])
def test_comparison_accepts_edited_copies_only(edit, same: bool) -> None:  # type: ignore[no-untyped-def]
    a, b = shingles(" ".join(BODY)), shingles(" ".join(edit(list(BODY))))
    assert comparison(a, b)[0] is same


AD_PLAYER = ["1. How relevant is this ad to you?",
             "Video player was slow to load content Video content never loaded Ad froze or "
             "did not finish loading Video content did not start after ad Audio on ad was too "
             "loud Other issues Ad never loaded Ad prevented or slowed down the page"]


def test_a_pages_boilerplate_under_other_headlines_is_not_a_copy() -> None:
    """Scraped pages whose body is the site's ad player, under the real headlines: each is
    its own story. Under headlines that share words, or with a long body, the same text
    is a copy."""
    pages = [article("walmart", AD_PLAYER, title="Walmart is slashing prices on clothing - CNN"),
             article("sprite", AD_PLAYER, title="Sprite will no longer be sold in green bottles"
                                                 " | CNN Business"),
             article("sprite-2", AD_PLAYER, title="Sprite drops its green bottles - CNN")]
    assert [set(g) for g in detect(pages).groups] == [{"sprite", "sprite-2"}]
    long_body = [" ".join(BODY)] * 1 + [f"{p} ({n})" for n in range(12) for p in BODY]
    reprints = [article("a", long_body, title="Ferry plan approved"),
                article("b", long_body, title="Council vote: what it means")]
    assert [set(g) for g in detect(reprints).groups] == [{"a", "b"}]


def test_copies_group_with_the_earliest_then_the_bylined_copy_first() -> None:
    original = article("a-original", BODY, byline="DANIEL ROSS")
    wire = article("b-wire", ["PORT ALDER (Coastal Wire) — " + BODY[0], *BODY[1:]])
    late = article("c-late", BODY[:3], day=date(2026, 3, 11))
    other = article("d-other", ["The harbor festival drew a record 40,000 visitors on "
                                "Saturday, organizers said, with boat races and fireworks "
                                "over the sound closing three days of music and food."])
    copies = detect([wire, late, other, original])
    assert copies.groups == (("a-original", "b-wire", "c-late"),)
    assert {(a, b) for a, b, _ in copies.pairs} >= {("a-original", "b-wire")}
    assert copies.signatures.shape == (4, METHOD["num_perm"])


def test_short_texts_are_never_copies() -> None:
    short = ["Ferry approved."]
    assert detect([article("x", short), article("y", short)]).groups == ()


def test_detection_is_incremental() -> None:
    original, wire = article("a", BODY), article("b", ["(Wire) " + BODY[0], *BODY[1:]])
    first = detect([original])
    assert first.groups == ()
    read: list[str] = []
    both = {a.id: a for a in (original, wire)}

    def reading(aid: str) -> Article:
        read.append(aid)
        return both[aid]

    second = detect_copies(first, {a.id: a.content_hash for a in both.values()}, reading)
    assert [set(g) for g in second.groups] == [{"a", "b"}]
    assert read.count("b") == 1  # only the new article is signed; "a" is read to verify
    gone = detect_copies(second, {"a": original.content_hash}, reading)
    assert gone.groups == () and gone.pairs == ()  # a copy removed: the group dissolves
    changed = article("b", ["Now a different text about something else entirely, with "
                            "enough words to be compared with the other article."] * 2)
    again = detect_copies(second, {"a": original.content_hash, "b": changed.content_hash},
                          {"a": original, "b": changed}.__getitem__)
    assert again.groups == ()


def test_another_method_detects_everything_again() -> None:
    original, wire = article("a", BODY), article("b", ["(Wire) " + BODY[0], *BODY[1:]])
    copies = detect([original, wire])
    stale = type(copies)({**copies.method, "num_perm": 64}, copies.records,
                         copies.signatures[:, :64], (), ())
    assert [set(g) for g in detect([original, wire], previous=stale).groups] == [{"a", "b"}]


def test_a_build_writes_the_copies_and_readers_fold_them(story_index: Path) -> None:
    folder = live_generation(story_index)
    assert folder is not None
    copies = load_copies(folder)
    assert copies is not None
    assert copies.groups == (("2026-03-10-ferry-approved", "2026-03-10-wire-ferry"),)
    info = index_info(story_index)
    assert info["copy groups"] == 1 and info["copies folded"] == 1
    with open_index(story_index) as reader:
        assert reader.story_of("2026-03-10-wire-ferry") == "2026-03-10-ferry-approved"
        assert [r.id for r in reader.copies_of("2026-03-10-ferry-approved")] == [
            "2026-03-10-wire-ferry"]
        query = "council approved the ferry plan on Friday"
        vector = HashEmbedder().encode([query])[0]
        cands = reader.candidates(query, vector, 50)
        found = {c.article_id for c in reader.chunks(cands.rows.tolist())}
        assert "2026-03-10-ferry-approved" in found and "2026-03-10-wire-ferry" not in found
        # Asked for explicitly (or the copy cited first filtered out), the copy is searched.
        only = reader.rows_matching(sources=["2026-03-10-wire-ferry"])
        assert only is not None and len(only)
        both = reader.rows_matching(sources=["2026-03-10-wire-ferry",
                                             "2026-03-10-ferry-approved"])
        assert {c.article_id for c in reader.chunks(both.tolist())} == {
            "2026-03-10-ferry-approved"}


def test_removing_a_copy_dissolves_its_group(story_index: Path) -> None:
    remove_articles(story_index, ["2026-03-10-wire-ferry"], embedder=HashEmbedder())
    with open_index(story_index) as reader:
        assert reader.copies_of("2026-03-10-ferry-approved") == []
    assert index_info(story_index)["copy groups"] == 0


def test_removing_the_cited_copy_makes_the_other_one_stand_for_the_story(
    story_index: Path,
) -> None:
    remove_articles(story_index, ["2026-03-10-ferry-approved"], embedder=HashEmbedder())
    with open_index(story_index) as reader:
        query = "council approved the ferry plan on Friday"
        cands = reader.candidates(query, HashEmbedder().encode([query])[0], 50)
        found = {c.article_id for c in reader.chunks(cands.rows.tolist())}
        assert "2026-03-10-wire-ferry" in found


def test_an_index_without_copies_gets_them_at_the_next_sync(story_index: Path) -> None:
    folder = live_generation(story_index)
    assert folder is not None
    (folder / COPIES_FILE).unlink()
    with open_index(story_index) as reader:  # no file: nothing folded, nothing fails
        assert reader.copies_of("2026-03-10-ferry-approved") == []
    report = build_index(story_index, [story_index.parent / "articles"], embedder=HashEmbedder())
    assert report.embedded_chunks == 0
    assert index_info(story_index)["copy groups"] == 1


def test_copies_found_by_an_earlier_method_are_found_again_at_the_next_sync(
    story_index: Path,
) -> None:
    """An upgrade that changes the detection (other thresholds) must not leave an unchanged
    index folding what the old method folded: the next sync detects again, embedding
    nothing, and the one after it has nothing to do."""
    sources = [story_index.parent / "articles"]
    synced = build_index(story_index, sources, embedder=HashEmbedder())  # the copy's sources
    assert build_index(story_index, sources, embedder=HashEmbedder()).generation == \
        synced.generation  # nothing to do
    folder = live_generation(story_index)
    assert folder is not None
    payload = json.loads((folder / COPIES_FILE).read_text(encoding="utf-8"))
    payload["method"] = {k: v for k, v in METHOD.items() if k != "boilerplate_jaccard"}
    payload["pairs"], payload["groups"] = [], []  # what the old method found: nothing
    (folder / COPIES_FILE).write_text(json.dumps(payload), encoding="utf-8")
    assert index_info(story_index)["copy groups"] == 0
    report = build_index(story_index, sources, embedder=HashEmbedder())
    assert report.embedded_chunks == 0 and report.generation == synced.generation + 1
    assert index_info(story_index)["copy groups"] == 1
    assert build_index(story_index, sources, embedder=HashEmbedder()).generation == \
        report.generation


def test_a_corrupt_copies_file_is_ignored(story_index: Path) -> None:
    folder = live_generation(story_index)
    assert folder is not None
    (folder / COPIES_FILE).write_text("{not json", encoding="utf-8")
    with open_index(story_index) as reader:
        assert reader.copies_of("2026-03-10-ferry-approved") == []
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_signatures_are_stored_without_pickle(story_index: Path) -> None:
    folder = live_generation(story_index)
    assert folder is not None
    signatures = np.load(folder / "copies.npy", allow_pickle=False)
    assert signatures.dtype == np.uint32 and signatures.shape[0] == 5


def test_records_are_columns_without_pickle_and_carried_over(story_index: Path) -> None:
    folder = live_generation(story_index)
    assert folder is not None
    with np.load(folder / "copies-records.npz", allow_pickle=False) as data:
        ids = data["ids"].tolist()
    assert ids == sorted(ids) and len(ids) == 5
    copies = load_copies(folder)
    assert copies is not None
    ferry = copies.records[ids.index("2026-03-10-ferry-approved")]
    assert ferry.published == date(2026, 3, 10) and ferry.shingles >= 20


def test_copies_of_the_earlier_format_are_read_and_carried_over(tmp_path: Path) -> None:
    """Format 1 kept the per-article records inside copies.json; a sync reuses them
    (nothing is read again) and writes the current format."""
    from index.disk.copies import save_copies

    original, wire = article("a", BODY), article("b", ["(Wire) " + BODY[0], *BODY[1:]])
    copies = detect([original, wire])
    save_copies(tmp_path, copies)
    payload = json.loads((tmp_path / COPIES_FILE).read_text(encoding="utf-8"))
    payload["format"] = 1
    payload["articles"] = [[r.id, r.content_hash, r.shingles, r.published.isoformat(),
                            r.byline, r.length] for r in copies.records]
    (tmp_path / COPIES_FILE).write_text(json.dumps(payload), encoding="utf-8")
    (tmp_path / "copies-records.npz").unlink()
    old = load_copies(tmp_path)
    assert old is not None and list(old.records) == list(copies.records)

    def unread(aid: str) -> Article:
        raise AssertionError(f"{aid} was read again")

    again = detect_copies(old, {"a": original.content_hash, "b": wire.content_hash}, unread)
    assert again.groups == copies.groups and again.pairs == old.pairs


def test_signatures_and_bands_are_datasketchs() -> None:
    """The sync computes datasketch's MinHash (affine32) and LSH split itself, without
    importing it: the same values, bit for bit."""
    from datasketch import MinHash, MinHashLSH

    from index.sync import copies

    sets = [shingles(" ".join(BODY)), shingles(BODY[0]), {b"one"}, set(),
            shingles("Étude déjà vue: naïve café, 12 000 mots — « citation » 東京 ok")]
    ours = copies._sign(sets)
    theirs = MinHash.bulk(sets, num_perm=copies.NUM_PERM, seed=copies.SEED,
                          scheme=copies.SCHEME)
    for mine, other in zip(ours, theirs, strict=True):
        assert mine.dtype == np.uint32
        assert np.array_equal(mine, np.asarray(other.hashvalues, dtype=np.uint32))
    lsh = MinHashLSH(threshold=copies.LSH_THRESHOLD, num_perm=copies.NUM_PERM)
    assert copies._bands() == (lsh.b, lsh.r)


def test_the_hand_written_fixture_is_detected_exactly() -> None:
    """tests/fixtures/copies: copies with outlets' edits grouped, same-topic stories apart
    (what bench/copies.py measures, kept from regressing)."""
    from itertools import combinations

    path = Path(__file__).parents[2] / "fixtures" / "copies" / "articles.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    found = detect([article(r["id"], r["text"].split("\n\n"), day=date.fromisoformat(r["date"]),
                            byline=r["byline"]) for r in rows])
    story = {r["id"]: r["story"] for r in rows}
    grouped = {frozenset(p) for g in found.groups for p in combinations(g, 2)}
    truth = {frozenset(p) for p in combinations(story, 2) if story[p[0]] == story[p[1]]}
    assert grouped == truth
