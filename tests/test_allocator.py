"""glibc's mmap threshold held at its default once a vector index exists (embeddings.allocator)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import sys
sys.path.insert(0, {root!r})
from embeddings import VectorIndex, allocator
VectorIndex(8)
print(allocator.hold_mmap_threshold())
"""


def run_probe(env_extra: dict) -> str:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"} | env_extra
    done = subprocess.run([sys.executable, "-c", PROBE.format(root=str(ROOT))], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


def test_a_vector_index_holds_the_threshold_on_glibc():
    assert run_probe({}) == "True"


def test_a_threshold_the_user_chose_is_left_alone():
    assert run_probe({"MALLOC_MMAP_THRESHOLD_": "1048576"}) == "False"
