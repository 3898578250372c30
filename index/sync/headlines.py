"""Pages searchable by their headline alone: those whose text is another page's boilerplate.

A scrape that failed keeps a site's boilerplate (a video player's ad survey, a sign-up
notice) instead of the story, under the story's own headline. Copy detection
(`index.sync.copies`) finds such pages, the same short text under headlines that share
almost no word, and records them (`CopyIndex.boilerplate`). Their text says nothing about
their story, and indexed with it, it makes up most of their vectors and BM25 texts: a
question about the story misses the page, a question using the boilerplate's words finds
every one. So a page with boilerplate text is indexed by its headline alone: its chunks'
BM25 terms and vectors are the headline's (`index.sync.ingest.chunk_into`); its text and
sentence vectors are kept (a quote from it is still verbatim), and its segment's record
names it (`SegmentInfo.headline_only`), so a resumed or merged build keeps it so.

Copies are detected when a generation is published, after its articles were written, and a
page becomes boilerplate when a second page with its text arrives, or stops being one when
the last such page goes. So after writing a generation the sync compares the pages copy
detection found with those indexed by headline (`headline_flips`) and writes the ones that
differ again at once (`reindex`), as changed articles: a second generation in the same sync,
which embeds only those pages' chunks. Writing them again changes no article's text, so the
detection it runs finds the same pages. A sync stopped in between (a crash, Ctrl-C) leaves
a published generation whose detected pages and headline-only pages differ; the next sync is
not a no-op while they do, and finishes the job.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from index.disk.copies import load_boilerplate_pages
from index.sync.generation import GenerationSpec, Written, write_generation
from index.sync.plan import SyncPlan
from index.sync.previous import read_previous

__all__ = ["headline_flips", "reindex"]

logger = logging.getLogger(__name__)


def headline_flips(plan: SyncPlan, written: Written) -> list[str]:
    """The articles of the sources (in load order) whose indexing must change now that copy
    detection has looked at the generation just `written`: pages whose text turned out to
    be another page's boilerplate, and pages whose text no longer is (a partner was removed
    or changed). Carried articles (kept but not in the sources) are left as they are:
    there is nothing to read them again from."""
    differ = load_boilerplate_pages(written.folder) ^ written.headline_only
    return [ref.id for ref in plan.kept if ref.id in differ] if differ else []


def reindex(index_dir: Path, sources: Sequence[str] | None, plan: SyncPlan,
            spec: GenerationSpec, written: Written, flips: list[str]) -> Written:
    """Write `flips` again (tombstoned, read again from their sources, embedded again) on
    top of the generation just `written`, with the boilerplate pages it found."""
    logger.info("re-indexing %d pages whose text is (or no longer is) boilerplate shared "
                "with other pages: such pages are searchable by their headline alone",
                len(flips))
    previous = read_previous(index_dir, full=False, sources_given=sources)
    flipped = set(flips)
    again = SyncPlan(kept=plan.kept, added=[], changed=flips, removed=[],
                     unchanged=[r.id for r in plan.kept if r.id not in flipped],
                     carried=plan.carried, relocated=[], duplicates=plan.duplicates,
                     skipped=[])
    return write_generation(index_dir, again, replace(
        spec, previous=previous, incremental=True,
        headline_only=load_boilerplate_pages(written.folder)))
