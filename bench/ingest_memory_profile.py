"""Where the streamed ingest's memory goes: bench/archive_ingest.py's ingest, in-process.

Writes the archive (the bench's own write_archive) into OUT/archive-N once, then runs
Library.add(archive, commit_every=...) with the bench's stand-in static encoder and records
after each Writer.commit (wrapped here, nowhere else): RSS, glibc arena and pymalloc figures,
SQLite's own memory, the vector index's layout, the bounded caches, and with --trace a
tracemalloc comparison of two generations (1 frame: deeper tracebacks slow the ingest
several-fold and tracing inflates RSS by ~1 GB, so compare RSS from untraced runs only).
A diagnostic, not a benchmark: it prints one JSON line per generation.

    HF_HUB_OFFLINE=1 nice -n 10 .venv/bin/python bench/ingest_memory_profile.py \
        --documents 12000 --commit-every 2000 --tag plain
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import shutil
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

MAIN = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(MAIN))
sys.path.insert(0, str(MAIN / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import archive_ingest  # noqa: E402  (the bench module: write_archive, stand_in_model)

OUT = Path(os.environ.get("RAG_MEMORY_PROFILE_DIR", "/tmp/rag-memory-profile"))
libc = ctypes.CDLL("libc.so.6")
sqlite = ctypes.CDLL("libsqlite3.so.0")
sqlite.sqlite3_memory_used.restype = ctypes.c_int64
sqlite.sqlite3_memory_highwater.restype = ctypes.c_int64


class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


libc.mallinfo2.restype = Mallinfo2


def status() -> dict[str, float]:
    out = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
            out[key] = int(value.split()[0]) / 1024
    return out


def mallinfo() -> dict[str, float]:
    m = libc.mallinfo2()
    return {"arena_MB": m.arena / 2**20, "mmap_MB": m.hblkhd / 2**20, "inuse_MB": m.uordblks / 2**20,
            "free_MB": m.fordblks / 2**20, "hblks": m.hblks}


def malloc_all() -> dict:
    """malloc_info over every arena: (arenas, total system bytes, free bytes) in MB."""
    import re as _re
    path = OUT / f"malloc_info.{os.getpid()}.xml"
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    fp = libc.fopen(str(path).encode(), b"w")
    libc.malloc_info(0, fp)
    libc.fclose(fp)
    xml = path.read_text()
    heaps = xml.split("<heap nr=")[1:]
    tail = xml.rsplit("</heap>", 1)[-1]
    def num(pattern, text):
        m = _re.search(pattern, text)
        return int(m.group(1)) if m else 0
    per = []
    for h in heaps:
        per.append((num(r'<system type="current" size="(\d+)"', h) / 2**20,
                    (num(r'<total type="fast" count="\d+" size="(\d+)"', h) + num(r'<total type="rest" count="\d+" size="(\d+)"', h)) / 2**20))
    return {"arenas": len(heaps),
            "all_system_MB": num(r'<system type="current" size="(\d+)"', tail) / 2**20,
            "all_free_MB": (num(r'<total type="fast" count="\d+" size="(\d+)"', tail) + num(r'<total type="rest" count="\d+" size="(\d+)"', tail)) / 2**20,
            "all_mmap_MB": num(r'<total type="mmap" count="\d+" size="(\d+)"', tail) / 2**20,
            "per_arena": [(round(a, 1), round(b, 1)) for a, b in per]}


def obmalloc() -> dict:
    """sys._debugmallocstats (written by C to fd 2) -> pymalloc arenas and bytes."""
    import re as _re
    path = OUT / f"obmalloc.{os.getpid()}.txt"
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 2)
    try:
        sys._debugmallocstats()
    finally:
        os.dup2(saved, 2)
        os.close(fd)
        os.close(saved)
    text = path.read_text()
    def grab(label):
        m = _re.search(_re.escape(label) + r"\s*=?\s*([\d,]+)", text)
        return int(m.group(1).replace(",", "")) if m else -1
    return {"py_arenas": grab("# arenas allocated current"),
            "py_arena_MB": grab("# arenas allocated current") * (1 << 20) / 2**20,
            "py_used_MB": grab("# bytes in allocated blocks") / 2**20,
            "py_avail_MB": grab("# bytes in available blocks") / 2**20}


def smaps() -> dict:
    """Rss (MB) by mapping kind: heap, anon (by size bucket), file (by path tail)."""
    out = Counter()
    name, size = None, 0
    for line in open("/proc/self/smaps"):
        parts = line.split()
        if "-" in parts[0] and len(parts) >= 5 and not parts[0].endswith(":"):
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            size = hi - lo
            name = parts[5] if len(parts) > 5 else ""
        elif parts[0] == "Rss:":
            kb = int(parts[1])
            if name == "":
                key = "anon>=64MB" if size >= 64 << 20 else ("anon>=1MB" if size >= 1 << 20 else "anon<1MB")
            elif name.startswith("["):
                key = name
            else:
                key = "file:" + name.rsplit("/", 1)[-1][:40]
            out[key] += kb / 1024
    top = dict(sorted(out.items(), key=lambda kv: -kv[1])[:10])
    return {k: round(v, 1) for k, v in top.items()}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--documents", type=int, default=20_000)
    p.add_argument("--commit-every", type=int, default=2_000)
    p.add_argument("--tag", default="base")
    p.add_argument("--trace", action="store_true", help="tracemalloc(1)")
    p.add_argument("--gc-types", action="store_true")
    p.add_argument("--trim", action="store_true", help="malloc_trim(0) after each commit, RSS before/after")
    p.add_argument("--keep-library", action="store_true", help="reuse an existing library (resume)")
    p.add_argument("--snap-at", default="2", help="generation numbers to snapshot besides the last")
    args = p.parse_args()

    archive = OUT / f"archive-{args.documents}"
    if not archive.exists():
        t = time.monotonic()
        tmp = archive.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        archive_ingest.write_archive(tmp, args.documents, archive_ingest.corpus.DEFAULT_SQUAD)
        tmp.rename(archive)
        print(f"archive of {args.documents} written in {time.monotonic() - t:.0f} s", flush=True)
    library = OUT / f"library-{args.tag}"
    if not args.keep_library:
        shutil.rmtree(library, ignore_errors=True)
    model = archive_ingest.stand_in_model()

    from rag import Library, ingest_run
    from rag.writer import Writer

    captured = {}
    init = ingest_run.GenerationBuffer.__init__

    def buffer_init(self, *a, **k):
        init(self, *a, **k)
        captured["buffer"] = self

    ingest_run.GenerationBuffer.__init__ = buffer_init
    triage = ingest_run.triage

    def triage_spy(connection, inputs, fingerprint, seen=None):
        captured["seen"] = seen
        return triage(connection, inputs, fingerprint, seen)

    ingest_run.triage = triage_spy

    if args.trace:
        tracemalloc.start(1)
    rows, snaps = [], {}
    snap_at = {int(x) for x in args.snap_at.split(",") if x}
    commit = Writer.commit
    started = time.monotonic()
    opened_ref = {}

    def measured_commit(self, embedded, *a, **k):
        t0 = time.monotonic()
        ids = commit(self, embedded, *a, **k)
        commit_s = time.monotonic() - t0
        gen = len(rows) + 1
        index = self.generations.vectors
        row = {"gen": gen, "t": round(time.monotonic() - started, 1), "commit_s": round(commit_s, 2),
               "passages": len(index) if index is not None else 0,
               "layout": index.layout if index is not None else None,
               "nlist": int(index._index.nlist) if index is not None and index.layout != "flat" else 0,
               **status(), **mallinfo(),
               "threads": len(os.listdir("/proc/self/task")),
               **{k: v for k, v in malloc_all().items()}, "smaps": smaps(), **obmalloc(),
               "sqlite_MB": sqlite.sqlite3_memory_used() / 2**20,
               "sqlite_hw_MB": sqlite.sqlite3_memory_highwater(0) / 2**20}
        buffer = captured.get("buffer")
        if buffer is not None:
            row["reports"] = len(buffer.reports)
            row["report_ids"] = sum(len(r.added) + len(r.updated) for r in buffer.reports)
        if captured.get("seen") is not None:
            row["seen"] = len(captured["seen"])
        row["ids_cache"] = None if index is None or index._ids is None else index._ids.nbytes
        row["cache_size_pragma"] = self.db.execute("PRAGMA cache_size").fetchone()[0]
        from rag import spelling, lexical, sentences, pysbd_patterns
        row["lru"] = {"american": spelling.american.cache_info().currsize,
                      "term_set": lexical.term_set.cache_info().currsize,
                      "spans": sentences._spans.cache_info().currsize,
                      "pysbd_compiled": pysbd_patterns.compiled.cache_info().currsize}
        if args.trace:
            row["traced_MB"] = tracemalloc.get_traced_memory()[0] / 2**20
            row["tracemalloc_self_MB"] = tracemalloc.get_tracemalloc_memory() / 2**20
            if gen in snap_at:
                snaps[gen] = tracemalloc.take_snapshot()
            snaps["last"] = (gen, tracemalloc.take_snapshot())
        if args.gc_types:
            counts = Counter(type(o).__name__ for o in gc.get_objects())
            row["gc_objects"] = sum(counts.values())
            row["gc_top"] = counts.most_common(12)
        if args.trim:
            before = status()["VmRSS"]
            libc.malloc_trim(0)
            row["trim_before"], row["trim_after"] = before, status()["VmRSS"]
        rows.append(row)
        print(json.dumps(row), flush=True)
        return ids

    Writer.commit = measured_commit
    opened = Library.open(library, model=str(model))
    opened.encoder.dimension
    print(json.dumps({"opened": True, **status(), **mallinfo()}), flush=True)
    report = opened.add([archive], commit_every=args.commit_every)
    print(json.dumps({"done": True, "added": len(report.added), "skipped": len(report.skipped),
                      "wall": round(time.monotonic() - started, 1), **status()}), flush=True)
    (OUT / f"rows-{args.tag}.json").write_text(json.dumps(rows))
    if args.trace:
        last_gen, last = snaps.pop("last")
        base_gen = min(snaps) if snaps else None
        for g, s in snaps.items():
            s.dump(str(OUT / f"snap-{args.tag}-{g}.pickle"))
        last.dump(str(OUT / f"snap-{args.tag}-last.pickle"))
        if base_gen is not None:
            base = snaps[base_gen]
            dp = rows[-1]["passages"] - rows[base_gen - 1]["passages"]
            print(f"\ntracemalloc gen {base_gen} -> gen {last_gen}: +{dp} passages")
            for stat in last.compare_to(base, "lineno")[:25]:
                print(f"{stat.size_diff / 2**20:8.2f} MB {stat.size_diff / max(dp, 1):8.0f} B/passage "
                      f"{stat.count_diff:+9d} blocks  {stat.traceback[0].filename}:{stat.traceback[0].lineno}")
            print("\nby file:")
            for stat in last.compare_to(base, "filename")[:12]:
                print(f"{stat.size_diff / 2**20:8.2f} MB {stat.size_diff / max(dp, 1):8.0f} B/passage  {stat.traceback[0].filename}")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    main()
