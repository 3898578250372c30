"""Syndicated copies: one story under several ids (a wire story run by several outlets with
another headline, a tagline, a trimmed paragraph), found at build time and kept up to date
incrementally.

How: each article's body is cut into shingles (every run of `SHINGLE_WORDS` words, lower
cased; the headline is left out, outlets change it, though rarely every word of it: a short
body that is the same text under headlines sharing almost no word is a page's boilerplate,
not a copy, see `LONG_SHINGLES`) and
summarised by a MinHash signature (`datasketch`'s affine32 MinHash, `NUM_PERM` permutations,
computed here with numpy: a sync does not import datasketch, whose import costs 0.3 s; tests
check the values bit for bit).
Candidates are found by locality-sensitive hashing of the signatures: `BANDS` bands of
`BAND_ROWS` rows, the split `datasketch.MinHashLSH` chooses for a Jaccard threshold of
`LSH_THRESHOLD`; two articles sharing one band are candidates. Every
candidate pair is then verified exactly on the shingle sets: a copy when their Jaccard
similarity is at least `MIN_JACCARD`, or when the shingles they share cover `MIN_CONTAINMENT`
of the shorter one and the shorter one has at least `MIN_SIZE_RATIO` of the longer one's
(a trimmed copy). Copies join in groups (connected pairs); each group is ordered with the copy
to cite first: the earliest, then the one with a byline, then the longer text. The pairs
that are boilerplate rather than copies are recorded too (`CopyIndex.boilerplate`): such
pages are indexed by their headline alone (`index.sync.headlines`).

The banding is done with numpy over the stored signatures rather than in a `MinHashLSH`
object: that index lives in memory and could only be saved with pickle, and rebuilding it
for every sync cost 0.74 s at 3,784 articles. A sync computes signatures for new and
changed articles only, compares them with every article, keeps the verified pairs of
unchanged ones, and drops the pairs of removed ones (so a group whose copies go away
dissolves).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from corpus import Article
from index.disk.copies import (
    CopyIndex,
    CopyRecord,
    CopyRecords,
    load_copies,
    save_copies,
    strings,
    utf8,
)
from index.disk.lexical import tokenize

__all__ = ["METHOD", "comparison", "detect_copies", "headline_terms", "shingles",
           "write_copies"]

logger = logging.getLogger(__name__)

SHINGLE_WORDS = 5
NUM_PERM = 128
SEED = 1
SCHEME = "affine32"
LSH_THRESHOLD = 0.25  # the lowest Jaccard the verification can accept (a trimmed copy)
MIN_JACCARD = 0.5
MIN_CONTAINMENT = 0.8
MIN_SIZE_RATIO = 1 / 3
MIN_SHINGLES = 20  # shorter texts are never taken for copies: too little to tell
# A body shorter than LONG_SHINGLES that is the same text (Jaccard >= BOILERPLATE_JACCARD)
# under headlines sharing fewer than HEADLINE_TERMS terms is not a copy: a page's boilerplate
# (an ad player's text, a sign-up form scraped instead of the story) is the same under every
# headline, and a short body says too little to overrule them.
LONG_SHINGLES = 300
BOILERPLATE_JACCARD = 0.95
HEADLINE_TERMS = 2
BANDS, BAND_ROWS = 42, 3  # what datasketch.MinHashLSH(threshold=0.25, num_perm=128) picks
DIRECT_QUERIES = 16  # up to this many new articles are compared band by band, unhashed
METHOD = {
    "shingle_words": SHINGLE_WORDS, "num_perm": NUM_PERM, "seed": SEED, "scheme": SCHEME,
    "lsh_threshold": LSH_THRESHOLD, "min_jaccard": MIN_JACCARD,
    "min_containment": MIN_CONTAINMENT, "min_size_ratio": round(MIN_SIZE_RATIO, 4),
    "min_shingles": MIN_SHINGLES, "long_shingles": LONG_SHINGLES,
    "boilerplate_jaccard": BOILERPLATE_JACCARD, "headline_terms": HEADLINE_TERMS,
    "boilerplate_pairs": True,  # kept (copies.json's "boilerplate"): pages indexed by headline
}

_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[bytes]:
    """The distinct runs of `SHINGLE_WORDS` words of `text` (lower cased), as bytes."""
    words = _WORD.findall(text.lower())
    n = SHINGLE_WORDS
    if len(words) < n:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i:i + n]).encode("utf-8") for i in range(len(words) - n + 1)}


def comparison(a: set[bytes], b: set[bytes],
               headlines: tuple[frozenset[str], frozenset[str]] | None = None
               ) -> tuple[bool, float]:
    """Whether shingle sets `a` and `b` are copies of one text, and their Jaccard.
    `headlines`: the two articles' `headline_terms`; with them, boilerplate is not a copy
    (see `LONG_SHINGLES`)."""
    if min(len(a), len(b)) < MIN_SHINGLES:
        return False, 0.0
    shared = len(a & b)
    jaccard = shared / (len(a) + len(b) - shared)
    small, large = sorted((len(a), len(b)))
    trimmed = shared >= MIN_CONTAINMENT * small and small >= MIN_SIZE_RATIO * large
    copy = jaccard >= MIN_JACCARD or trimmed
    if copy and headlines is not None and small < LONG_SHINGLES and \
            jaccard >= BOILERPLATE_JACCARD and \
            len(headlines[0] & headlines[1]) < HEADLINE_TERMS:
        copy = False
    return copy, jaccard


# An outlet's name after the headline ("... - CNN", "... | The Week UK"): up to 3 words.
_OUTLET = re.compile(r"\s+[|\-–—]\s+(?:\S+\s*){1,3}$")


def headline_terms(title: str) -> frozenset[str]:
    """The BM25 terms of a headline without the outlet's name after it."""
    return frozenset(tokenize(_OUTLET.sub("", title)))


def write_copies(
    build_dir: Path,
    previous: Path | None,
    articles: Mapping[str, str],
    article: Callable[[str], Article],
) -> list[Path]:
    """Detect the copies among `articles` (id -> content hash: the new generation's),
    reading each new one with `article`, reusing what the `previous` generation found;
    write `copies.json` and `copies.npy` in `build_dir` and return their paths (to
    fsync)."""
    started = time.perf_counter()
    before = load_copies(previous) if previous is not None else None
    copies = detect_copies(before, articles, article)
    paths = save_copies(build_dir, copies)
    grouped = sum(len(g) for g in copies.groups)
    logger.debug("copies: %d stories told by %d articles; %.2f s", len(copies.groups), grouped,
                 time.perf_counter() - started)
    return list(paths)


def detect_copies(
    previous: CopyIndex | None,
    articles: Mapping[str, str],
    read: Callable[[str], Article],
) -> CopyIndex:
    """The copies among `articles` (id -> content hash).

    Articles known to `previous` with the same content hash keep their record, signature and
    verified pairs; the others are read with `read(id)`, signed and compared with all. What
    is carried over is carried as numpy columns, so the work besides the new articles' is a
    few array passes over the index's articles.
    """
    ids = sorted(articles)
    id_col = strings(ids)
    hash_col = utf8([articles[i] for i in ids])
    prior = previous if previous is not None and previous.method == METHOD else None
    at = prior.records.positions(id_col) if prior is not None else np.full(len(ids), -1)
    same = at >= 0
    if prior is not None:
        same[same] = prior.records.hashes[at[same]] == hash_col[same]
    fresh = np.flatnonzero(~same)
    sets: dict[str, set[bytes]] = {}
    heads: dict[str, frozenset[str]] = {}
    new_records = []
    for k in fresh.tolist():
        aid = ids[k]
        article = read(aid)
        sets[aid], heads[aid] = shingles(article.text), headline_terms(article.title)
        new_records.append(CopyRecord(aid, articles[aid], len(sets[aid]), article.published,
                                      bool(article.byline), len(article.text)))
    records = _merged(prior.records if prior is not None else None, at, same, fresh,
                      CopyRecords.of(new_records), id_col, hash_col)
    if prior is not None and same.any():  # one gather (a masked copy is 5x slower)
        signatures = np.take(prior.signatures, np.where(same, at, 0), axis=0)
    else:
        signatures = np.zeros((len(ids), NUM_PERM), dtype=np.uint32)
    if len(fresh):
        signatures[fresh] = np.array(_sign([sets[ids[k]] for k in fresh.tolist()]),
                                     dtype=np.uint32).reshape(len(fresh), NUM_PERM)
    kept = set(id_col[same].tolist())
    pairs = {(a, b): j for a, b, j in (prior.pairs if prior is not None else ())
             if a in kept and b in kept}
    boilerplate = {(a, b): j for a, b, j in (prior.boilerplate if prior is not None else ())
                   if a in kept and b in kept}
    eligible = records.shingles >= MIN_SHINGLES
    for x, y in sorted(_candidates(signatures, ~same & eligible, eligible)):
        a, b = ids[x], ids[y]
        for aid in (a, b):
            if aid not in sets:
                article = read(aid)
                sets[aid], heads[aid] = shingles(article.text), headline_terms(article.title)
        copy, jaccard = comparison(sets[a], sets[b], (heads[a], heads[b]))
        if copy:
            pairs[(a, b)] = jaccard
        elif comparison(sets[a], sets[b])[0]:  # a copy but for the headlines: boilerplate
            boilerplate[(a, b)] = jaccard
    groups = _groups(pairs, records)
    return CopyIndex(dict(METHOD), records, signatures,
                     tuple((a, b, j) for (a, b), j in sorted(pairs.items())), groups,
                     tuple((a, b, j) for (a, b), j in sorted(boilerplate.items())))


def _merged(previous: CopyRecords | None, at: NDArray[np.int64], same: NDArray[np.bool_],
            fresh: NDArray[np.int64], new: CopyRecords, ids: NDArray[np.str_],
            hashes: NDArray[np.bytes_]) -> CopyRecords:
    """The records of `ids`: the previous ones where `same`, the `new` ones (aligned with
    `fresh`) elsewhere."""
    columns = {}
    for name in ("shingles", "published", "byline", "length"):
        column = np.zeros(len(ids), dtype=getattr(new, name).dtype)
        if previous is not None and same.any():
            column[same] = getattr(previous, name)[at[same]]
        column[fresh] = getattr(new, name)
        columns[name] = column
    return CopyRecords(ids, hashes, **columns)


def _sign(sets: list[set[bytes]]) -> list[NDArray[np.uint32]]:
    """datasketch's `MinHash.bulk(sets, num_perm=NUM_PERM, seed=SEED, scheme="affine32")`
    hash values, computed here with numpy: importing datasketch (and the scipy it loads)
    took 0.3 s of every sync. Each shingle's SHA-1 (first 4 bytes, little-endian) is
    mixed by MurmurHash3's finalizer, then each permutation is a * h + b modulo 2^32
    (`a` odd); the signature is the minimum per permutation (tests check it bit for bit
    against datasketch)."""
    a, b = _permutations()
    out = []
    for shingle_set in sets:
        if not shingle_set:
            out.append(np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32))
            continue
        digests = b"".join(hashlib.sha1(s).digest()[:4] for s in shingle_set)
        h = _fmix32(np.frombuffer(digests, dtype="<u4").astype(np.uint32))
        out.append((h[:, None] * a[None, :] + b[None, :]).min(axis=0))
    return out


@cache
def _permutations() -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
    """datasketch's affine32 permutation parameters for `SEED` and `NUM_PERM`."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(h: NDArray[np.uint32]) -> NDArray[np.uint32]:
    """MurmurHash3's 32-bit finalizer (a bijection), wrapping modulo 2^32."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _bands() -> tuple[int, int]:
    """(bands, rows per band): the split `datasketch.MinHashLSH` picks for
    `LSH_THRESHOLD` and `NUM_PERM` (its false positive and negative weights 0.5 each),
    fixed here so that a sync does not import datasketch; a test checks they agree."""
    return BANDS, BAND_ROWS


def _candidates(
    signatures: NDArray[np.uint32], query: NDArray[np.bool_], eligible: NDArray[np.bool_]
) -> set[tuple[int, int]]:
    """Pairs (i < j) of eligible rows sharing a band, at least one of them a `query` row.
    Per band only the rows whose key some query row has are grouped, so a sync adding a
    few articles looks at their buckets, not at every bucket of the index."""
    found: set[tuple[int, int]] = set()
    rows = np.flatnonzero(eligible)
    if not query.any() or len(rows) < 2:
        return found
    asked = query[rows]
    if asked.sum() <= DIRECT_QUERIES:
        return _direct_candidates(signatures[rows], rows, np.flatnonzero(asked))
    keys = _band_keys(signatures[rows])
    for band in range(keys.shape[1]):
        column = keys[:, band]
        near = np.flatnonzero(np.isin(column, column[asked]))
        if len(near) < 2:
            continue
        order = near[np.argsort(column[near], kind="stable")]
        ordered = column[order]
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        lengths = np.diff(np.concatenate((starts, [len(ordered)])))
        for start, length in zip(starts[lengths > 1].tolist(), lengths[lengths > 1].tolist(),
                                 strict=True):
            members = rows[order[start:start + length]]
            for i in members[query[members]].tolist():
                found.update((min(i, j), max(i, j)) for j in members.tolist() if j != i)
    return found


def _direct_candidates(signatures: NDArray[np.uint32], rows: NDArray[np.int64],
                       asked: NDArray[np.int64]) -> set[tuple[int, int]]:
    """`_candidates` for a few query rows (positions `asked` in `signatures`, whose rows
    are `rows`): each one's bands compared with every row's, without hashing the index."""
    bands, width = _bands()
    blocks = signatures[:, : bands * width].reshape(len(signatures), bands, width)
    found: set[tuple[int, int]] = set()
    for q in asked.tolist():
        same = (blocks == blocks[q]).all(axis=2).any(axis=1)
        same[q] = False
        i = int(rows[q])
        found.update((min(i, j), max(i, j)) for j in rows[same].tolist())
    return found


def _band_keys(signatures: NDArray[np.uint32]) -> NDArray[np.uint64]:
    """One 64-bit key per band of each signature: equal bands give equal keys (a rare
    collision only adds a candidate, which verification then rejects)."""
    bands, rows = _bands()
    blocks = signatures[:, : bands * rows].reshape(len(signatures), bands, rows)
    weights = np.random.default_rng(SEED).integers(1, 2**63, size=rows, dtype=np.uint64) | 1
    with np.errstate(over="ignore"):
        return (blocks.astype(np.uint64) * weights).sum(axis=2, dtype=np.uint64)


def _groups(
    pairs: Iterable[tuple[str, str]], records: CopyRecords
) -> tuple[tuple[str, ...], ...]:
    """Connected groups of `pairs`, each ordered with the copy to cite first; groups in
    the order of their first id."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[str]] = {}
    for x in parent:
        members.setdefault(root(x), []).append(x)
    found = dict(zip(parent, records.positions(strings(list(parent))).tolist(), strict=True))
    groups = [tuple(sorted(m, key=lambda i: _preference(records[found[i]]))) for m in
              members.values()]
    return tuple(sorted(groups))


def _preference(record: CopyRecord) -> tuple[bool, date, bool, int, str]:
    """Earliest first (undated last), then with a byline, then the longer text."""
    return (record.published is None, record.published or date.max, not record.byline,
            -record.length, record.id)
