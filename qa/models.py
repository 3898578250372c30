"""The learned parts' files: small JSON models that ship in `qa/models/`, versioned and checked.

A model file is one JSON object:

    {"format": "newsqa-model", "kind": "fusion", "version": 1,
     "made_by": "train/fit_retrieval.py", "provenance": {...}, "figures": {...},
     "params": {...}, "checksum": "<sha256 of the canonical JSON of params>"}

`load_model` refuses a file that is missing, not JSON, of another kind or version, or whose
params do not match their checksum (a file edited by hand or damaged on disk), with one line
that says what to do: a wrong model must never give a quietly wrong answer. Nothing is
unpickled; the params are plain numbers and lists.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from qa.errors import QAError

__all__ = ["MODELS_DIR", "ModelFileError", "load_model", "model_checksum", "write_model"]

logger = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"
FORMAT = "newsqa-model"


class ModelFileError(QAError):
    """A shipped model file is missing, damaged or of another version."""


def model_checksum(params: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of `params` (sorted keys, no spaces)."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def load_model(kind: str, version: int, path: Path | None = None) -> dict[str, Any]:
    """The params of the model file `path` (default `qa/models/<kind>-v<version>.json`).

    Raises:
        ModelFileError: the file is missing, unreadable, of another kind/version, or its
            params do not match the checksum.
    """
    path = path or MODELS_DIR / f"{kind}-v{version}.json"
    retrain = "reinstall newsqa, or retrain it with train/ (see README, 'Learned parts')"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"the {kind} model file '{path}' is missing; {retrain}") from None
    except (OSError, ValueError) as e:
        raise ModelFileError(f"the {kind} model file '{path}' is unreadable ({e}); "
                             f"{retrain}") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("kind") != kind:
        raise ModelFileError(f"'{path}' is not a newsqa {kind} model file; {retrain}")
    if data.get("version") != version:
        raise ModelFileError(
            f"'{path}' is {kind} model version {data.get('version')!r}, this newsqa reads "
            f"version {version}; {retrain}")
    params = data.get("params")
    if not isinstance(params, dict) or data.get("checksum") != model_checksum(params):
        raise ModelFileError(f"the {kind} model file '{path}' is damaged (its checksum does "
                             f"not match); {retrain}")
    return params


def write_model(
    path: Path,
    *,
    kind: str,
    version: int,
    params: dict[str, Any],
    made_by: str,
    provenance: dict[str, Any],
    figures: dict[str, Any],
) -> None:
    """Write a model file that `load_model` accepts (used by the training scripts)."""
    data = {
        "format": FORMAT, "kind": kind, "version": version, "made_by": made_by,
        "provenance": provenance, "figures": figures, "params": params,
        "checksum": model_checksum(params),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    logger.info("wrote %s", path)
