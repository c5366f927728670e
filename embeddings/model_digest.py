"""A model's identity by content: the sha256 of its weight files, not its name.

A model named by a path can change under that path (other weights copied over it) and then
embeds differently; a library records this digest so it notices. Owns finding the folder a
model name stands for (a local folder, the packaged copy, or a hub name already in the local
cache) and hashing its weight files (a README or config edit is no other model), cached per process by each file's size and modification time, so a
second call costs a directory listing. Knows nothing of libraries.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

_BLOCK = 1 << 22  # bytes hashed per step
# What sentence-transformers, transformers and ONNX Runtime load weights from.
WEIGHT_SUFFIXES = {".safetensors", ".bin", ".pt", ".pth", ".onnx", ".h5", ".msgpack", ".gguf", ".npy", ".npz"}
_cache: dict[tuple, str] = {}
_cache_lock = threading.Lock()


def model_folder(model: str) -> Path | None:
    """The local folder holding `model`'s files, None if it is not on this machine."""
    from embeddings.encoder import resolve_model

    target = Path(resolve_model(model)).expanduser()
    if target.is_dir():
        return target
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model, local_files_only=True))
    except Exception:  # not a hub name, or not in the local cache: nothing to hash
        return None


def model_digest(model: str) -> str | None:
    """sha256 over the relative path, size and bytes of every weight file in `model`'s
    folder (hidden ones, such as caches, left out); None if it is not on this machine."""
    folder = model_folder(model)
    if folder is None:
        return None
    files = sorted(path for path in folder.rglob("*") if path.suffix in WEIGHT_SUFFIXES and path.is_file()
                   and not any(part.startswith(".") for part in path.relative_to(folder).parts))
    stats = tuple((str(path.relative_to(folder)), path.stat().st_size, path.stat().st_mtime_ns) for path in files)
    key = (str(folder.resolve()), stats)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    digest = hashlib.sha256()
    for path, (name, size, _) in zip(files, stats):
        digest.update(f"{name}\0{size}\0".encode())
        with open(path, "rb") as handle:
            while block := handle.read(_BLOCK):
                digest.update(block)
    with _cache_lock:
        _cache[key] = digest.hexdigest()
    return _cache[key]

