"""A pre-warmed parent process that forks real child processes for crash and race tests.

Importing torch and sentence-transformers costs seconds per process; a test that needs fifty
real processes cannot pay that fifty times. The zygote is one `python` subprocess that
imports everything and loads the tiny model once, never runs a tensor op (so no thread pool
exists when it forks), and then forks a child per request. Each child is a real process that
runs a real entry point (`rag.cli:main` with an argv) and can be killed with a real SIGKILL,
stopped with SIGSTOP, or held at a gate so several start at the same instant.

The test talks to the zygote with one JSON line per request on its stdin/stdout.
"""

from __future__ import annotations

import glob
import importlib
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Outcome:
    pid: int
    code: int | None  # exit status, or None if a signal ended the child
    signal: int | None
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        return self.signal == signal.SIGKILL


class Zygote:
    """The test's handle on the zygote process."""

    def __init__(self, model_dir: str, workdir: Path):
        self.workdir = workdir
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
               "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from tests.zygote import serve; serve()", model_dir],
            cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        ready = self._process.stdout.readline()
        if ready.strip() != '"ready"':
            raise RuntimeError(f"the zygote did not start: {ready!r}")
        self._count = 0

    def _ask(self, **request):
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        return json.loads(self._process.stdout.readline())

    def _outputs(self) -> tuple[str, str]:
        self._count += 1
        return str(self.workdir / f"child-{self._count}.out"), str(self.workdir / f"child-{self._count}.err")

    def spawn(self, target: str, args: list, *, gated: bool = False) -> int:
        """Fork a child running `target(*args)` ("module:function"); returns its pid.
        A gated child waits until `open_gate()`."""
        stdout, stderr = self._outputs()
        return self._ask(op="spawn", target=target, args=args, gated=gated, stdout=stdout, stderr=stderr)

    def open_gate(self) -> None:
        self._ask(op="open_gate")

    def wait(self, pid: int, *, kill_after: float | None = None, once: tuple[str, bool] | None = None) -> Outcome:
        """Wait for a child; with `kill_after`, SIGKILL it that many seconds after its fork,
        or with `once=(glob, True)` that many seconds after a file matching `glob` appears
        (`False`: after none matches any more). The zygote times the kill, so no pipe
        latency is added; a child that has exited by then is not killed."""
        reply = self._ask(op="wait", pid=pid, kill_after=kill_after, once=once)
        return Outcome(pid, reply["code"], reply["signal"],
                       Path(reply["stdout"]).read_text(errors="replace"),
                       Path(reply["stderr"]).read_text(errors="replace"))

    def run(self, target: str, args: list, *, kill_after: float | None = None, once=None) -> Outcome:
        return self.wait(self.spawn(target, args), kill_after=kill_after, once=once)

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait(timeout=30)


# ------------------------------------------------------------------ the zygote process
def serve() -> None:
    model_dir = sys.argv[1]
    import torch

    torch.set_num_threads(1)  # two shared cores: children must not fight over threads
    import rag.cli  # noqa: F401 - warm every module a child may run
    from rag.library import shared_encoder

    shared_encoder(model_dir).dimension  # loads the weights; runs no tensor op
    children: dict[int, dict] = {}
    gate_read, gate_write = os.pipe()
    gated: list[int] = []
    print(json.dumps("ready"), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "spawn":
            for path in (request["stdout"], request["stderr"]):
                open(path, "w").close()  # exists even if the child is killed at once
            pid = os.fork()
            if pid == 0:
                os.close(gate_write)
                _child(request, gate_read if request["gated"] else None)
            children[pid] = {"started": time.monotonic(), **request}
            if request["gated"]:
                gated.append(pid)
            reply = pid
        elif op == "open_gate":
            os.write(gate_write, b"x" * len(gated))
            os.close(gate_read), os.close(gate_write)
            gate_read, gate_write = os.pipe()
            gated, reply = [], None
        else:  # wait
            child = children.pop(request["pid"])
            reply = _reap(request["pid"], child, request["kill_after"], request["once"])
        print(json.dumps(reply), flush=True)


def _reap(pid: int, child: dict, kill_after: float | None, once) -> dict:
    if kill_after is not None:
        start = child["started"]
        if once is not None:  # poll for the file event; stop if the child exits first
            pattern, appears = once
            while bool(glob.glob(pattern)) != appears:
                reaped, status = os.waitpid(pid, os.WNOHANG)
                if reaped:
                    return _result(child, status)
                time.sleep(0.0001)
            start = time.monotonic()
        time.sleep(max(0.0, start + kill_after - time.monotonic()))
        os.kill(pid, signal.SIGKILL)  # a child that already exited is a zombie: no effect
    _, status = os.waitpid(pid, 0)
    return _result(child, status)


def _result(child: dict, status: int) -> dict:
    return {
        "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "stdout": child["stdout"], "stderr": child["stderr"],
    }


def _child(request: dict, gate: int | None) -> None:
    code = 70
    try:
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            os.dup2(os.open(path, os.O_WRONLY), fd)
        sys.stdin = open(os.devnull)
        if gate is not None:
            os.read(gate, 1)
        module, name = request["target"].split(":")
        function = importlib.import_module(module)
        for attribute in name.split("."):
            function = getattr(function, attribute)
        result = function(*request["args"])
        code = result if isinstance(result, int) else 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush(), sys.stderr.flush()
        os._exit(code)
