"""Export a sentence-transformers model to ONNX, fp32 and int8, into the cache folder that
`index.embedding.onnx_runtime` loads from (once per model; needs torch and onnx, not the network).

The int8 file is dynamic quantization with per-channel weights; the feed-forward output
layers stay fp32, which keeps retrieval quality within 0.005 nDCG@10 of torch (README).
An export is written into a temp folder beside its target and swapped in with
`os.replace`, so a crash never leaves a half export; `meta.json` records the checksums
every load verifies.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata, util
from pathlib import Path
from typing import Any

from index.embedding.names import DEFAULT_MODEL, PRECISIONS
from index.embedding.sentence_transformer import load_sentence_transformer, resolve_model
from index.errors import EmbedderError

__all__ = [
    "CACHE_FORMAT",
    "INSTALL_HINT",
    "KEY_FILES",
    "content_hash",
    "export_model",
    "local_model_folder",
    "require_package",
    "sha256_file",
]

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'newsqa[fast]'"
CACHE_FORMAT = 2  # bump when the export or quantization recipe changes
# The files that decide the exported graph and the tokenization (those present are hashed).
KEY_FILES = (
    "modules.json", "config.json", "sentence_bert_config.json", "1_Pooling/config.json",
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
    "model.safetensors", "pytorch_model.bin",
)


def export_model(model_name: str, source: Path, key: str, folder: Path) -> None:
    """Export fp32 and int8 ONNX files, the tokenizer and meta.json into a temp folder
    beside `folder`, then swap it into place, so a crash never leaves a half export."""
    require_package("onnx")
    started = time.perf_counter()
    logger.info("exporting %r to ONNX (once) into %s", model_name, folder)
    model = load_sentence_transformer(str(source))
    if len(model) < 2 or getattr(model[1], "pooling_mode", None) != "mean":
        raise EmbedderError(
            f"model {model_name!r} does not use mean pooling; the ONNX embedder supports "
            f"mean-pooling models only: use {model_name!r} without an ONNX suffix"
        )
    dimension = getattr(model, "get_embedding_dimension", None) or (
        model.get_sentence_embedding_dimension  # sentence-transformers < 5
    )
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        transformer = model[0]
        input_names = _export_fp32(transformer, work / "model-fp32.onnx")
        kept_fp32 = _quantize(work / "model-fp32.onnx", work / "model-int8.onnx")
        transformer.tokenizer.save_pretrained(str(work / "tokenizer"))
        meta = {
            "format": CACHE_FORMAT,
            "model": model_name,
            "content_sha256": key,
            "dim": int(dimension()),
            "max_tokens": int(model.max_seq_length),
            "input_names": input_names,
            "quantization": {"weights": "int8 per channel", "activations": "uint8 per batch",
                             "down_projections_in_fp32": kept_fp32},
            "files": {f"model-{p}.onnx": sha256_file(work / f"model-{p}.onnx") for p in PRECISIONS},
            "versions": _versions("newsqa", "torch", "onnx", "onnxruntime"),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (work / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        _swap_in(work, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    logger.info("exported %r to ONNX in %.1f s", model_name, time.perf_counter() - started)


def _export_fp32(transformer: Any, path: Path) -> list[str]:
    """Trace the transformer to ONNX: word-piece inputs -> token embeddings (b, t, dim)."""
    import torch

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, model: Any, names: list[str]) -> None:
            super().__init__()
            self.model, self.names = model, names

        def forward(self, *inputs: Any) -> Any:
            return self.model(**dict(zip(self.names, inputs, strict=True))).last_hidden_state

    tokenizer = transformer.tokenizer
    # Traced on a padded batch, so the graph keeps the attention-mask path.
    sample = tokenizer(["A short text.", "A longer text, so that the batch has padding."],
                       padding=True, return_tensors="pt")
    names = [name for name in tokenizer.model_input_names if name in sample]
    model = transformer.auto_model
    was_training = model.training
    # eval() on the wrapper too: the exporter restores the wrapper's mode afterwards, and a
    # new Module is in training mode, which would switch dropout on in a shared model.
    wrapper = TokenEmbeddings(model, names).eval()
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "token_embeddings"]}
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # the tracer's and the legacy exporter's notices
            torch.onnx.export(
                wrapper,
                tuple(sample[name] for name in names),
                str(path),
                dynamo=False,  # the TorchScript exporter: no onnxscript needed
                input_names=names,
                output_names=["token_embeddings"],
                dynamic_axes=axes,
                opset_version=17,
            )
    finally:
        model.train(was_training)
    return names


def _quantize(source: Path, target: Path) -> int:
    """Dynamic int8 quantization with per-channel weights, leaving in fp32 the matrices that
    project down (the feed-forward outputs, whose inputs carry the activation outliers).
    Returns how many were left in fp32. On MiniLM and realtimeqa chunks, the cosine to the
    fp32 vectors is 0.956 with per-tensor weights, 0.993 per-channel, 0.996 with the
    feed-forward outputs kept (-0.003 nDCG@10 on SciFact instead of -0.005), at 1.2x the
    torch throughput instead of ~1.5x (README, Performance)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source)).graph
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}
    down = [
        node.name
        for node in graph.node
        if node.op_type == "MatMul"
        and len(shape := shapes.get(node.input[1], ())) == 2
        and shape[0] > shape[1]
    ]
    with _quiet_root_logger():
        quantize_dynamic(
            str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
            nodes_to_exclude=down,
        )
    return len(down)


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """onnxruntime's quantizer logs hundreds of lines through the root logger (and its
    `logging.warning` would configure an unconfigured one): drop them while it runs."""
    root = logging.getLogger()
    guard = None if root.handlers else logging.NullHandler()
    if guard:
        root.addHandler(guard)
    root.addFilter(_not_onnxruntime)
    try:
        yield
    finally:
        root.removeFilter(_not_onnxruntime)
        if guard:
            root.removeHandler(guard)


def _not_onnxruntime(record: logging.LogRecord) -> bool:
    return "onnxruntime" not in record.pathname


def _swap_in(work: Path, folder: Path) -> None:
    if folder.exists():  # a stale or corrupt export: move it aside, then delete it
        aside = folder.with_name(f".{folder.name}.old-{os.getpid()}")
        os.replace(folder, aside)
        shutil.rmtree(aside, ignore_errors=True)
    try:
        os.replace(work, folder)
    except OSError:  # another process swapped its export in first: keep that one
        if not (folder / "meta.json").is_file():
            raise


def local_model_folder(name: str) -> str:
    """The folder holding model `name`: the packaged default, a local folder, or a model in
    the Hugging Face cache (never downloaded)."""
    path = resolve_model(name)
    if Path(path).is_dir():
        return path
    try:
        from huggingface_hub import snapshot_download
    except ImportError as e:
        raise EmbedderError(f"no model folder {name!r}; give a local model folder") from e
    candidates = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
    for repo_id in candidates:
        try:
            return str(snapshot_download(repo_id, local_files_only=True))
        except Exception:  # hub errors vary: not cached, bad repo id, ...
            continue
    raise EmbedderError(
        f"model {name!r} is neither a folder nor in the local Hugging Face cache; the ONNX "
        f"export works offline: use {DEFAULT_MODEL!r} (packaged) or a local model folder"
    )


def content_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    found = False
    for relative in KEY_FILES:
        path = folder / relative
        if path.is_file():
            found = True
            digest.update(relative.encode("utf-8") + b"\0")
            digest.update(bytes.fromhex(sha256_file(path)))
    if not found:
        raise EmbedderError(f"no model files in {str(folder)!r}; give a sentence-transformers "
                            "model folder")
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions(*packages: str) -> dict[str, str]:
    found = {}
    for package in packages:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "unknown"
    return found


def require_package(package: str) -> None:
    if util.find_spec(package) is None:
        raise EmbedderError(
            f"the ONNX embedder needs {package!r}, which is not installed; run {INSTALL_HINT!r} "
            "or use the default torch embedder"
        )
