"""A Ray session for a distributed ingest: a private instance on this machine, or a cluster.

Owns importing Ray (only here and in `rag.distributed`, and only when a distributed ingest
runs, so `import rag` never pays for it), starting a local instance bound to 127.0.0.1, and
joining a running cluster by address. Does not start or manage clusters: `ray start` does.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from contextlib import contextmanager

from rag.errors import DistributedIngestError, RayConnectionError, RayNotInstalledError

log = logging.getLogger(__name__)

LOCAL = "local"
# Read by Ray when it is imported: no usage report leaves the machine, and the node's
# address is the loopback one. Ray 2.60 otherwise advertises (and binds) the machine's
# outward address even for a single-machine instance.
LOCAL_ENVIRONMENT = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


def import_ray(address: str = LOCAL):
    """The `ray` module, or a RagError saying how to install it. For a local instance the
    loopback settings go into the environment first (they stay for this process)."""
    if (address == LOCAL or is_loopback(address)) and "ray" not in sys.modules:
        for name, value in LOCAL_ENVIRONMENT.items():
            os.environ.setdefault(name, value)
    try:
        import ray
        import ray.data  # noqa: F401  (the `data` extra: pyarrow, pandas)
    except ImportError as error:
        raise RayNotInstalledError() from error
    return ray


def check_cluster(address: str = LOCAL) -> None:
    """Fail now, with a message saying what to do, if Ray is missing or nothing answers at
    `address` (before a caller spends minutes loading models and reading files)."""
    ray = import_ray(address)
    if address != LOCAL and not ray.is_initialized():
        _check_reachable(address)


@contextmanager
def ray_session(address: str = LOCAL):
    """Yield the `ray` module, connected. `address` is "local" (start a private instance on
    127.0.0.1, shut down afterwards) or a running cluster's "host:port". A session this
    process already holds (`ray.init` called before) is used as it is, and left open."""
    ray = import_ray(address)
    if ray.is_initialized():
        current = ray.get_runtime_context().gcs_address
        if address not in (LOCAL, current):
            raise DistributedIngestError(
                f"This process is already connected to the Ray cluster at {current}, not {address}; "
                "call ray.shutdown() first, or ingest on the connected cluster"
            )
        log.info("using this process's Ray session (%s)", current)
        yield ray
        return
    if address == LOCAL or is_loopback(address):
        _check_loopback(ray)
    if address == LOCAL:
        log.info("starting a local Ray instance on 127.0.0.1")
        ray.init(address=LOCAL, include_dashboard=False)
    else:
        _check_reachable(address)
        try:
            ray.init(address=address)
        except (ConnectionError, ValueError, RuntimeError) as error:
            raise RayConnectionError(address, str(error).strip().splitlines()[0]) from error
        log.info("connected to the Ray cluster at %s", address)
    try:
        yield ray
    finally:
        ray.shutdown()


def _check_reachable(address: str, timeout: float = 10.0) -> None:
    """Fail at once when nothing listens at a "host:port" address: `ray.init` itself keeps
    retrying an unreachable head for many minutes."""
    host, _, port = address.rpartition(":")
    if address.startswith("ray://") or not port.isdigit():
        return  # Ray Client, or "auto": Ray resolves and reports these itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        raise RayConnectionError(address, f"nothing answers there: {error.strerror or error}") from error


def is_loopback(address: str) -> bool:
    """Whether a cluster address is on this machine's loopback interface (a cluster started
    with `ray start --head --node-ip-address=127.0.0.1`); Ray would otherwise rewrite it
    to the machine's outward address, where such a cluster does not listen."""
    host = address.removeprefix("ray://").rsplit(":", 1)[0].strip("[]")
    return host in ("localhost", "::1") or host.startswith("127.")


def _check_loopback(ray) -> None:
    from ray._private import ray_constants

    if ray_constants.ENABLE_RAY_CLUSTER:
        raise DistributedIngestError(
            "Ray was imported before rag could keep it on 127.0.0.1; set "
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 in the environment before starting Python, "
            "or start Ray yourself (`ray start --head`) and pass its address"
        )
