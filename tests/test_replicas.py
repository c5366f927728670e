"""Read-only replicas: processes that serve searches and answers from a library folder that
one writer keeps changing, and never write to it themselves."""

import hashlib
import json
import subprocess
import sys

import pytest

from rag import Library, TextRecord
from rag.errors import LibraryError
from tests.conftest import REPO, SAMPLES


def folder_state(folder):
    """The library's data: every file and its content hash. SQLite's shared-memory index
    (-shm) is not data: every reader of a WAL database maps it; an empty -wal holds nothing."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.endswith("-shm") and not (p.name.endswith("-wal") and not p.stat().st_size)}


@pytest.fixture
def built(tmp_path, tiny_encoder):
    with Library.open(tmp_path / "library", encoder=tiny_encoder) as library:
        library.add([SAMPLES])
    return tmp_path / "library"


def test_a_replica_answers_like_the_writer_and_changes_nothing(built, tiny_encoder):
    writer = Library.open(built, encoder=tiny_encoder)
    expected = writer.ask("joint naval drills")
    writer.close()
    before = folder_state(built)
    with Library.open(built, encoder=tiny_encoder, read_only=True) as replica:
        assert replica.ask("joint naval drills") == expected
        assert [h.passage.id for h in replica.search("Qingdao", mode="lexical")]
        for write in (lambda: replica.add([SAMPLES]),
                      lambda: replica.add_texts([TextRecord("note", "Some text.")]),
                      lambda: replica.remove(replica.documents()[0].id)):
            with pytest.raises(LibraryError, match="read-only"):
                write()
    assert folder_state(built) == before


def test_a_replica_follows_each_generation_the_writer_commits(built, tiny_encoder):
    replica = Library.open(built, encoder=tiny_encoder, read_only=True)
    writer = Library.open(built, encoder=tiny_encoder)
    assert not replica.search("zeppelin airship hangar", mode="lexical")
    writer.add_texts([TextRecord("airships", "The zeppelin left its airship hangar at dawn.")])
    hits = replica.search("zeppelin airship hangar", mode="lexical")
    assert hits and hits[0].passage.source == "airships"
    assert replica.stats().generation == writer.stats().generation
    writer.remove(hits[0].passage.document_id)
    assert not replica.search("zeppelin airship hangar", mode="lexical")


def test_a_replica_in_another_process_serves_the_same_answers(built, tiny_encoder, tiny_model_dir):
    expected = Library.open(built, encoder=tiny_encoder).search("joint naval drills", k=3)
    script = (
        "import json, sys\n"
        "from rag import Library\n"
        "from embeddings import Encoder\n"
        "with Library.open(sys.argv[1], encoder=Encoder(sys.argv[2]), read_only=True) as replica:\n"
        "    print(json.dumps([h.passage.id for h in replica.search('joint naval drills', k=3)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(built), tiny_model_dir],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [h.passage.id for h in expected]


def test_opening_a_missing_library_read_only_is_a_clear_error(tmp_path):
    with pytest.raises(LibraryError, match="no library to open read-only"):
        Library.open(tmp_path / "nothing", read_only=True)
    assert not (tmp_path / "nothing").exists()


@pytest.mark.parametrize("value, read_only", [("1", True), ("yes", True), ("0", False), ("", False)])
def test_read_only_setting_from_the_environment(value, read_only):
    from rag.settings import Settings

    assert Settings.from_env({"RAG_READ_ONLY": value}).read_only is read_only


def test_a_mistyped_read_only_setting_is_a_clear_error():
    from rag.errors import RagError
    from rag.settings import Settings

    with pytest.raises(RagError, match="RAG_READ_ONLY must be 1 or 0"):
        Settings.from_env({"RAG_READ_ONLY": "sometimes"})
