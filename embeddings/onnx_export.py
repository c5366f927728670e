"""A sentence-transformers model folder -> a cached ONNX graph of its transformer.

Owns the one-time export (torch.onnx of the Hugging Face transformer, checked against torch
before it is kept), the cache key and the atomic write. Pooling and normalising are not in
the graph: `embeddings.onnx_model` does them in numpy. Only this module imports torch, and
only when no cached graph exists yet, so a warm cache never pays for torch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

# Bump when the exported graph changes (inputs, opset, attention implementation), so old
# cache entries are ignored rather than misread.
EXPORT_VERSION = 1
OPSET = 17
# Files whose change must invalidate an exported graph.
_SOURCE_FILES = ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json")
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/rag, else ~/.cache/rag (where other tools keep per-user caches)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rag"


def cache_key(model_dir: Path) -> str:
    """Model folder + a fingerprint of its files.

    Small files are hashed by content; the weights file by size and modification time,
    because hashing 90 MB of weights on every start would cost more than the whole cold
    start budget of `python -m rag ask`. A reinstalled or edited model changes either.
    """
    digest = hashlib.sha256(f"v{EXPORT_VERSION}\0{model_dir.resolve()}".encode())
    for name in _SOURCE_FILES:
        path = model_dir / name
        if not path.exists():
            continue
        stat = path.stat()
        if stat.st_size < 4_000_000:
            digest.update(f"\0{name}\0".encode() + hashlib.sha256(path.read_bytes()).digest())
        else:
            digest.update(f"\0{name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


def cached_graph(model_dir: Path, cache_dir: Path) -> Path:
    """The cached ONNX graph for `model_dir`, exported first if it is not there yet."""
    target = cache_dir / "onnx" / f"{model_dir.name or 'model'}-{cache_key(model_dir)}.onnx"
    if not target.exists():
        export(model_dir, target)
    return target


def export(model_dir: Path, target: Path) -> None:
    """Export the transformer to `target` atomically, after checking it matches torch."""
    import numpy as np
    import torch
    from transformers import AutoModel

    log.info("exporting %s to ONNX (once; cached in %s)", model_dir, target.parent)
    # Eager attention: the SDPA path may drop an all-ones mask while tracing, which would
    # bake "no padding" into the graph.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    # Trace with a padded row so the mask's data flow is recorded, not constant-folded.
    ids = torch.randint(1000, 2000, (2, 12), dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    inputs = (ids, mask, torch.zeros_like(ids))
    # eval() on the wrapper: export restores the wrapper's mode recursively afterwards, and a
    # fresh Module is in training mode, which would switch dropout on for the check below.
    wrapped = LastHiddenState(model).eval()
    with replacing(target) as tmp:
        axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUT_NAMES, "last_hidden_state")}
        with torch.no_grad(), warnings.catch_warnings():
            # Tracer warnings about Python-side shape checks: the check below is the proof.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapped, inputs, tmp, input_names=list(INPUT_NAMES),
                output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=OPSET,
                dynamo=False,  # the TorchScript exporter needs no onnxscript
            )
            # Check on another shape than the traced one: the axes must really be dynamic.
            probe_ids = torch.randint(1000, 2000, (3, 21), dtype=torch.long)
            probe_mask = torch.ones_like(probe_ids)
            probe_mask[0, 4:] = 0
            probe = (probe_ids, probe_mask, torch.zeros_like(probe_ids))
            expected = wrapped(*probe).numpy()
        _check(tmp, [t.numpy() for t in probe], expected, np)
    (target.parent / (target.name + ".json")).write_text(
        json.dumps({"source": str(model_dir.resolve()), "torch": torch.__version__, "opset": OPSET})
    )


@contextmanager
def replacing(target: Path):
    """A temporary path beside `target` to write; on success it is fsynced and renamed over
    `target` (so a reader never sees half a graph), on any error deleted."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check(path: str, inputs, expected, np) -> None:
    """Refuse a graph that disagrees with torch on the real (unpadded) tokens."""
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = session.run(None, dict(zip(INPUT_NAMES, inputs)))[0]
    real = inputs[1].astype(bool)
    error = float(np.abs(got[real] - expected[real]).max())
    if error > 1e-4:
        raise RuntimeError(f"the exported ONNX graph differs from torch by {error:.2e}")
