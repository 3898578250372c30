"""The app's look: header markup, a small CSS block and the theme (system fonts only, so
the page loads nothing from third parties)."""

from __future__ import annotations

from typing import Any

__all__ = ["CSS", "HEADER_HTML", "make_theme"]

HEADER_HTML = """
<header class="nq-header">
  <h1>news-qa</h1>
  <p>Answers quoted word for word from the indexed news articles, with numbered sources
  you can check. When the articles don't say, it says so.</p>
</header>
"""

CSS = """
.gradio-container { max-width: 1320px !important; margin: 0 auto; }
.nq-header { padding: 10px 4px 4px; }
.nq-header h1 { font-size: 1.9rem; font-weight: 700; letter-spacing: -0.02em; margin: 0; }
.nq-header p { margin: 4px 0 0; color: var(--body-text-color-subdued); font-size: 0.98rem; }

#nq-chat .message { font-size: 1rem; line-height: 1.55; }
.nq-short { font-weight: 700; font-size: 1.15em; margin-bottom: 0.35em; }
mark.nq-short-mark { background: #fde68a; color: inherit; padding: 0 0.1em; border-radius: 2px; }
.nq-quote { font-family: Georgia, "Iowan Old Style", "Times New Roman", serif;
  font-size: 1.06rem; line-height: 1.6; }
.nq-cite { display: inline-block; font-family: var(--font); font-size: 0.78em;
  font-weight: 600; color: var(--color-accent); padding: 0 2px; vertical-align: 0.15em; }
.nq-origin, .nq-note { margin-top: 8px; font-size: 0.84rem; color: var(--body-text-color-subdued); }
.nq-abstain strong { color: #b45309; }
.nq-error { color: #b91c1c; }
.nq-placeholder { color: var(--body-text-color-subdued); font-size: 0.98rem; max-width: 34em;
  margin: 0 auto; text-align: center; }

.nq-sources-head { font-weight: 650; font-size: 1.02rem; margin: 2px 0 10px; }
.nq-for { font-weight: 400; color: var(--body-text-color-subdued); font-size: 0.9rem; }
.nq-empty { color: var(--body-text-color-subdued); border: 1px dashed var(--border-color-primary);
  border-radius: 10px; padding: 18px; font-size: 0.93rem; line-height: 1.5; }
.nq-card { border: 1px solid var(--border-color-primary); border-radius: 10px;
  background: var(--background-fill-primary); padding: 12px 14px; margin-bottom: 12px;
  box-shadow: 0 1px 2px rgba(0, 0, 0, 0.04); }
.nq-card-head { display: flex; gap: 6px; align-items: baseline; }
.nq-num { font-weight: 700; color: var(--color-accent); font-variant-numeric: tabular-nums; }
.nq-title, .nq-article-title { font-family: Georgia, "Iowan Old Style", serif; font-weight: 700;
  font-size: 1.02rem; line-height: 1.35; }
.nq-meta { color: var(--body-text-color-subdued); font-size: 0.8rem; margin: 3px 0 8px; }
.nq-passage { font-family: Georgia, "Iowan Old Style", serif; font-size: 0.95rem;
  line-height: 1.55; margin: 0; padding: 2px 0 2px 12px;
  border-left: 3px solid var(--border-color-primary); }
.nq-card mark, .nq-article mark { background: #fde68a; color: inherit; padding: 0 1px;
  border-radius: 2px; }
.dark .nq-card mark, .dark .nq-article mark { background: #854d0e; }
.nq-dates { margin: 8px 0 0; padding-left: 18px; font-size: 0.82rem;
  color: var(--body-text-color-subdued); }
.nq-card details { margin-top: 8px; font-size: 0.86rem; }
.nq-card summary { cursor: pointer; color: var(--color-accent); }
.nq-article { margin-top: 8px; max-height: 420px; overflow-y: auto; padding-right: 6px;
  font-family: Georgia, "Iowan Old Style", serif; line-height: 1.55; }
.nq-article p { margin: 0 0 8px; }
.nq-pno { display: inline-block; min-width: 1.6em; color: var(--body-text-color-subdued);
  font-family: var(--font); font-size: 0.75em; }
#nq-library * { font-family: var(--font) !important; }
.nq-report { margin: 4px 0; padding-left: 20px; line-height: 1.6; }
.nq-skipped code { font-size: 0.9em; }

.nq-timeline { list-style: none; margin: 6px 0 16px; padding: 0 0 0 22px;
  border-left: 3px solid var(--color-accent); }
.nq-event { position: relative; margin: 0 0 16px; padding-left: 6px; }
.nq-event::before { content: ""; position: absolute; left: -31px; top: 3px; width: 13px;
  height: 13px; border-radius: 50%; background: var(--background-fill-primary);
  border: 3px solid var(--color-accent); }
.nq-when { display: inline-block; font-weight: 700; font-variant-numeric: tabular-nums;
  font-size: 0.92rem; margin-bottom: 2px; }
.nq-tag { margin-left: 8px; font-size: 0.72rem; text-transform: uppercase;
  letter-spacing: 0.04em; color: #b45309; border: 1px solid #f59e0b; border-radius: 4px;
  padding: 0 4px; }
.nq-event-quote { font-family: Georgia, "Iowan Old Style", serif; font-size: 1rem;
  line-height: 1.5; }
.nq-event-quote mark { background: #fde68a; color: inherit; padding: 0 1px; }
.dark .nq-event-quote mark { background: #854d0e; }
.nq-also { font-size: 0.84rem; color: var(--body-text-color-subdued); }
"""


def make_theme() -> Any:
    """A calm theme on system fonts (nothing fetched from font CDNs)."""
    import gradio as gr

    return gr.themes.Default(
        primary_hue="blue",
        neutral_hue="slate",
        font=["Inter", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )
