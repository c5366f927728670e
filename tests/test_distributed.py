"""Distributed ingest on a real Ray instance (loopback only): same library as a local ingest,
per-file failures, a worker that dies, an interrupted run, the CLI, and Ray staying optional.

One local Ray instance serves the whole module; every ingest here joins it.
"""

import ipaddress
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rag import Library
from rag.check import check_library
from rag.ingest import FileInput
from tests.conftest import DRILLS_QUESTION, REPO, SAMPLES

# One replica on 2 shared cores; batches of 4 so even small folders make several batches.
ONE_ACTOR = dict(actors=1, batch_documents=4)


@pytest.fixture(scope="module")
def ray_address():
    """The module's local Ray instance, started the way `--ray` starts one (so Ray is not
    imported before that: it must see the loopback settings first)."""
    from rag.ray_session import ray_session

    with ray_session("local") as ray:
        # Inputs defined in this file travel to the workers by value: pytest imports it
        # under a name the workers could not import.
        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
        yield ray.get_runtime_context().gcs_address


def cluster(**settings):
    from rag.distributed import RayCluster

    return RayCluster(**{**ONE_ACTOR, **settings})


# -- what a user compares -------------------------------------------------------------------
def contents(library: Library):
    """Documents, their stored text, their passages (ids, offsets, sentences) and generation-free stats."""
    documents = library.documents()
    return (
        documents,
        {d.id: library.document(d.id) for d in documents},
        {d.id: library.passages(d.id) for d in documents},
        library.stats().passages,
    )


def assert_same_library(local: Library, distributed: Library) -> None:
    assert contents(distributed) == contents(local)
    ids = sorted(int(i) for i in local._current_vectors().ids())
    assert sorted(int(i) for i in distributed._current_vectors().ids()) == ids
    np.testing.assert_allclose(distributed._current_vectors().vectors(ids),
                               local._current_vectors().vectors(ids), atol=1e-5)


def folder_state(library: Library):
    stats = library.stats()
    return stats.generation, contents(library), sorted(p.name for p in library.folder.iterdir())


# -- generated documents ----------------------------------------------------------------------
WORDS = [a + b for a in ("ba", "ko", "mi", "ru", "te", "sa", "lo", "ne", "fi", "da", "gu", "pe")
         for b in ("ran", "tel", "mos", "vik", "dun", "sar", "pol", "ket", "min", "zor")]


def write_documents(folder: Path, count: int, *, seed: int = 0) -> list[Path]:
    """`count` articles of varied shape: a title line, short and long paragraphs (some past the
    model's window, so they are split), one-line fragments that merge, .txt and .md."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)

    def sentence() -> str:
        words = [str(w) for w in rng.choice(WORDS, size=int(rng.integers(4, 18)))]
        return " ".join(words).capitalize() + rng.choice([".", ".", "?", "!"])

    paths = []
    for n in range(count):
        paragraphs = []
        for _ in range(int(rng.integers(1, 7))):
            size = int(rng.choice([1, 2, 4, 30], p=[0.25, 0.45, 0.25, 0.05]))
            paragraphs.append(" ".join(sentence() for _ in range(size)))
        title = sentence().rstrip(".?!")
        suffix = ".md" if n % 5 == 0 else ".txt"
        head = f"# {title}" if suffix == ".md" else title
        path = folder / f"article-{n:03d}{suffix}"
        path.write_text(head + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("generated") / "articles"
    write_documents(folder, 240)
    return folder


def open_pair(tmp_path, encoder):
    return (Library.open(tmp_path / "local", encoder=encoder),
            Library.open(tmp_path / "distributed", encoder=encoder))


# -- the same library as a local ingest -------------------------------------------------------
def test_samples_with_minilm_identical_to_local(ray_address, tmp_path, minilm_encoder):
    local, distributed = open_pair(tmp_path, minilm_encoder)
    expected = local.add([SAMPLES])
    report = distributed.add([SAMPLES], ray="local")
    assert report == expected and len(report.added) == 2
    assert_same_library(local, distributed)
    answer, expected_answer = (lib.ask(DRILLS_QUESTION) for lib in (distributed, local))
    assert not answer.abstained and answer.text == expected_answer.text
    assert [(c.document_id, c.start, c.end, c.evidence_start, c.evidence_end) for c in answer.citations] == [
        (c.document_id, c.start, c.end, c.evidence_start, c.evidence_end) for c in expected_answer.citations]


def test_the_workers_embed_on_the_libraries_numeric_path(ray_address, tmp_path):
    """Workers that loaded the model on the default fp32 path would put fp32 vectors into an
    onnx-int8 library (within 1e-5 of each other they are not: cosine ~0.99)."""
    from embeddings import Encoder

    local, distributed = open_pair(tmp_path, Encoder(backend="onnx-int8"))
    local.add([SAMPLES])
    distributed.add([SAMPLES], ray="local")
    assert_same_library(local, distributed)
    assert distributed.stats().vector_kind == local.stats().vector_kind == "onnx-int8"


def test_hundreds_of_documents_identical_to_local_and_bad_files_reported_per_file(
        ray_address, tmp_path, tiny_encoder, generated):
    local, distributed = open_pair(tmp_path, tiny_encoder)
    articles = tmp_path / "articles"
    articles.mkdir()
    for path in generated.iterdir():
        (articles / path.name).write_bytes(path.read_bytes())
    (articles / "copy-of-007.txt").write_bytes((articles / "article-007.txt").read_bytes())  # a duplicate
    (articles / "empty.txt").write_text("   \n", encoding="utf-8")
    (articles / "damaged.pdf").write_bytes(b"%PDF-1.7 this is not really a pdf")
    (articles / "damaged.docx").write_bytes(b"PK\x03\x04 not a zip archive")

    expected = local.add([articles])
    report = distributed.add([articles], ray=cluster(actors=2, batch_documents=16))
    assert report == expected
    assert len(report.added) == 240 and report.skipped == (str(articles / "copy-of-007.txt"),)
    assert [f.path for f in report.failed] == [str(articles / n) for n in ("damaged.docx", "damaged.pdf", "empty.txt")]
    assert all(f.reason for f in report.failed)
    assert_same_library(local, distributed)

    # A second round: some files edited, some new, the rest unchanged and skipped.
    for n in (3, 51, 199):
        path = articles / f"article-{n:03d}.txt"
        path.write_text(path.read_text(encoding="utf-8") + "\nA closing paragraph added later.\n", encoding="utf-8")
    write_documents(tmp_path / "more", 5, seed=1)
    for path in (tmp_path / "more").iterdir():
        (articles / f"new-{path.name}").write_bytes(path.read_bytes())
    expected = local.add([articles])
    report = distributed.add([articles], ray=cluster())
    assert report == expected
    assert len(report.updated) == 3 and len(report.added) == 5
    assert_same_library(local, distributed)


def test_results_are_committed_as_they_arrive_and_an_interrupted_run_resumes(
        ray_address, tmp_path, tiny_encoder, generated):
    local, distributed = open_pair(tmp_path, tiny_encoder)
    files = sorted(generated.iterdir())[:60]
    local.add(files)
    seen = []  # (inputs stored, documents in the library) at each commit

    def stop_after_two_commits(stage, done, total):
        if stage == "stored":
            seen.append((done, distributed.stats().documents))
            if len(seen) == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        distributed.add(files, ray=cluster(), commit_every=25, on_progress=stop_after_two_commits)
    committed = Library.open(distributed.folder, encoder=tiny_encoder).stats().documents
    assert [count for _, count in seen] == [done for done, _ in seen]  # each commit holds what arrived
    assert 0 < seen[0][1] < seen[1][1] == committed < len(files)
    assert check_library(distributed.folder).ok

    report = distributed.add(files, ray=cluster(), commit_every=25)
    assert len(report.added) == len(files) - committed and len(report.skipped) == committed
    assert_same_library(local, distributed)  # same ids, passages and vectors as one local commit


# -- failures -------------------------------------------------------------------------------
class DiesOnce(FileInput):
    """A file whose first read kills the worker process reading it, as a crashing parser
    or a lost node would; the marker file makes it happen exactly once."""

    def __init__(self, path: Path, marker: Path):
        super().__init__(path)
        self.marker = marker

    def read(self, max_bytes):
        if self.marker.exists():
            self.marker.unlink()
            os._exit(1)
        return super().read(max_bytes)


class BrokenReader(FileInput):
    """A file whose reader fails with an unexpected error (a bug, not a bad file)."""

    def read(self, max_bytes):
        raise RuntimeError("simulated bug in a reader")


def test_a_worker_that_dies_is_retried_and_the_result_is_the_same(ray_address, tmp_path, minilm_encoder):
    from rag import distributed as ray_ingest

    # MiniLM here and below: its actors start in a second (no torch), so restarts are cheap.
    files = write_documents(tmp_path / "articles", 12, seed=2)
    marker = tmp_path / "die-once"
    marker.touch()
    local, distributed = open_pair(tmp_path, minilm_encoder)
    expected = local.add(files)

    inputs = [DiesOnce(f, marker) if n == 5 else FileInput(f) for n, f in enumerate(files)]
    with distributed.writer.writing():
        report = ray_ingest.ingest(distributed.writer, inputs, cluster())
    assert not marker.exists()  # the worker did die once
    assert report == expected
    assert_same_library(local, distributed)


@pytest.fixture
def populated(tmp_path, minilm_encoder):
    """A library holding the samples, and a folder of new articles to ingest into it."""
    library = Library.open(tmp_path / "library", encoder=minilm_encoder)
    library.add([SAMPLES])
    return library, write_documents(tmp_path / "articles", 12, seed=3)


def test_an_interrupted_ingest_leaves_the_library_as_it_was(ray_address, populated):
    library, files = populated
    before = folder_state(library)
    seen = []

    def interrupt_after_first_batch(stage, done, total):
        seen.append(done)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        library.add(files, ray=cluster(), on_progress=interrupt_after_first_batch)
    assert 0 < seen[0] < len(files)  # some documents were already back from the workers
    assert folder_state(library) == before
    assert folder_state(Library.open(library.folder, encoder=library.encoder)) == before

    assert len(library.add(files).added) == len(files)  # the write lock was released


def test_an_error_in_a_worker_fails_the_ingest_and_changes_nothing(ray_address, populated):
    from rag import distributed as ray_ingest
    from rag.errors import DistributedIngestError

    library, files = populated
    before = folder_state(library)
    inputs = [FileInput(f) for f in files[:-1]] + [BrokenReader(files[-1])]
    with pytest.raises(DistributedIngestError, match="library is unchanged: RuntimeError: simulated bug in a reader"):
        with library.writer.writing():
            ray_ingest.ingest(library.writer, inputs, cluster())
    assert folder_state(library) == before


# -- the CLI, the cluster's addresses, and Ray staying optional -------------------------------
def test_cli_ingest_joins_a_running_cluster_by_address(ray_address, tmp_path, minilm_encoder):
    library = tmp_path / "library"  # the packaged MiniLM: the model a user's workers load
    result = subprocess.run(
        [sys.executable, "-m", "rag", "ingest", str(SAMPLES), "--library", str(library),
         "--ray", ray_address, "--ray-actors", "1"],
        cwd=REPO, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "2 added, 0 updated, 0 unchanged, 0 failed" in result.stdout
    assert Library.open(library).stats().documents == 2


def listening_addresses(pids: set[int]) -> list:
    """The local addresses of the listening TCP sockets the given processes hold."""
    inodes = set()
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue  # exited meanwhile
        inodes.update(link[len("socket:["):-1] for link in links if link.startswith("socket:["))
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                raw = bytes.fromhex(fields[1].split(":")[0])
                address = ipaddress.ip_address(b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4)))
                found.append(getattr(address, "ipv4_mapped", None) or address)
    return found


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = set(), [root]
    while queue:
        pid = queue.pop()
        found.add(pid)
        queue.extend(children.get(pid, []))
    return found


def test_the_local_instance_listens_only_on_loopback(ray_address):
    import ray

    assert ray_address.startswith("127.0.0.1:")
    node = ray._private.worker._global_node
    pids = {os.getpid()} | {p for infos in node.all_processes.values() for info in infos
                            for p in descendants(info.process.pid)}
    addresses = listening_addresses(pids)
    assert addresses, "found no listening sockets of Ray's processes"
    assert all(a.is_loopback for a in addresses), addresses


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1"})


def test_importing_rag_never_imports_ray():
    result = python("""
        import sys
        import rag, rag.library, rag.cli, rag.distributed
        from rag import Library
        assert "ray" not in sys.modules, sorted(m for m in sys.modules if m.startswith("ray"))
    """)
    assert result.returncode == 0, result.stderr


def test_an_unreachable_cluster_is_a_clear_error_at_once(tmp_path, tiny_model_dir):
    result = python(f"""
        from rag import Library, RagError
        library = Library.open({str(tmp_path / "library")!r}, model={tiny_model_dir!r})
        try:
            library.add([{str(SAMPLES)!r}], ray="127.0.0.1:1")  # nothing listens on port 1
        except RagError as error:
            print(error)
        assert library.stats().generation == 0
    """)
    assert result.returncode == 0, result.stderr
    assert "Cannot connect to the Ray cluster at '127.0.0.1:1'" in result.stdout
    assert "ray start --head" in result.stdout


def test_without_ray_installed_the_error_says_how_to_install_it(tmp_path, tiny_model_dir):
    result = python(f"""
        import sys
        sys.modules["ray"] = None  # what an environment without requirements-ray.txt sees
        from rag import Library, RagError
        library = Library.open({str(tmp_path / "library")!r}, model={tiny_model_dir!r})
        try:
            library.add([{str(SAMPLES)!r}], ray="local")
        except RagError as error:
            print(error)
        assert library.stats().documents == 0
    """)
    assert result.returncode == 0, result.stderr
    assert "pip install -r requirements-ray.txt" in result.stdout
