"""Distributed ingest: reading, cleaning, passage cutting and embedding as a Ray Data pipeline.

The same steps as a local ingest, split where the database is needed:

1. on the driver (this process), `rag.ingest_run.triage` decides which inputs need reading;
2. on Ray actors, each loading the model once, `rag.ingest.prepare_or_failure` and
   `rag.document_vectors.embed_documents` turn batches of inputs into embedded documents
   (the functions a local ingest calls, so the result is the same);
3. on the driver, `Writer.store_embedded` commits all of them as one generation.

Nothing is written before that commit, so a failed or interrupted run leaves the library
as it was. A file that cannot be parsed is a per-file result (`FileFailure`), as locally;
an actor that dies is restarted and its batch retried (`TASK_RETRIES`).

Workers read files themselves: every path must be readable under the same name on every
node (a shared filesystem), and every node needs this project and its requirements.
Does not stream into the library: the driver holds every embedded document (text and
vectors) until the commit, so very large collections are best ingested folder by folder.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from dataclasses import dataclass

import numpy as np

from rag.document_vectors import embed_documents
from rag.errors import DistributedIngestError
from rag.ingest import pipeline_fingerprint, prepare_or_failure
from rag.ingest_run import triage
from rag.ray_session import LOCAL, check_cluster, ray_session
from rag.readers import DEFAULT_MAX_BYTES
from rag.results import FileFailure, IngestReport

log = logging.getLogger(__name__)

# Retries of one batch on a restarted actor before the ingest fails: enough for a node or
# a process lost now and then, few enough that an input which kills its worker every time
# ends the run instead of looping.
TASK_RETRIES = 3
# Inputs per batch: large enough that length-sorted encoder batches span documents, small
# enough that a retry redoes little.
DEFAULT_BATCH_DOCUMENTS = 16
# Input blocks at most; more inputs than this make several batches per block.
MAX_BLOCKS = 2000


@dataclass(frozen=True)
class RayCluster:
    """Where and how wide a distributed ingest runs (`Library.add(..., ray=RayCluster(...))`)."""

    address: str = LOCAL  # "local": a private Ray instance on 127.0.0.1; else "host:port" of a cluster
    actors: int | None = None  # model replicas; None: as many as the cluster's CPUs allow
    threads: int = 1  # inference threads per actor, and the CPUs it reserves
    batch_documents: int = DEFAULT_BATCH_DOCUMENTS

    def __post_init__(self):
        if self.actors is not None and self.actors < 1:
            raise ValueError(f"actors must be at least 1, got {self.actors}")
        if self.threads < 1 or self.batch_documents < 1:
            raise ValueError("threads and batch_documents must be at least 1")

    @classmethod
    def coerce(cls, ray: "str | RayCluster") -> "RayCluster":
        """`Library.add`'s `ray=` argument: an address string ("local" or "host:port") or settings."""
        if isinstance(ray, cls):
            return ray
        if isinstance(ray, str) and ray.strip():
            return cls(address=ray.strip())
        raise TypeError(f'ray must be "local", a cluster address "host:port" or a RayCluster, got {ray!r}')


def ingest(writer, inputs, cluster: RayCluster, *, on_progress=None,
           max_bytes: int = DEFAULT_MAX_BYTES) -> IngestReport:
    """Ingest `inputs` (`FileInput`/`RecordInput`) on Ray through `writer` (a library's
    `rag.writer.Writer`), whose write lock the caller holds (`writer.writing()`). Progress is
    ("embedding", documents done, documents to do)."""
    check_cluster(cluster.address)  # before any work: a missing extra or a wrong address fail at once
    writer.ensure_model_recorded()
    fingerprint = writer.fingerprint()
    pending, skipped = triage(writer.db, inputs, fingerprint)
    log.info("distributed ingest: %d inputs to read on Ray, %d unchanged", len(pending), len(skipped))
    outcomes = []
    if pending:
        with ray_session(cluster.address):
            outcomes = _run_pipeline([item for item, _, _ in pending],
                                     cluster, writer.encoder.name, fingerprint, max_bytes, on_progress)
    embedded, failed = [], []
    for (_, _, old_id), outcome in zip(pending, outcomes):
        if isinstance(outcome, FileFailure):
            failed.append(outcome)
        else:
            embedded.append((outcome, old_id))
    return writer.store_embedded(embedded, skipped, failed, fingerprint)


def _run_pipeline(tasks, cluster: RayCluster, model: str, fingerprint: str, max_bytes: int,
                  on_progress) -> list:
    """One outcome (EmbeddedDocument or FileFailure) per (input, content hash), in order."""
    import ray
    from ray import cloudpickle

    # Inputs and results travel pickled whole, so fields added to them later need no change here.
    rows = [{"position": n, "task": cloudpickle.dumps(task)} for n, task in enumerate(tasks)]
    context = ray.data.DataContext.get_current()
    bars, context.enable_progress_bars = context.enable_progress_bars, False  # progress is on_progress's
    outcomes: list = [None] * len(rows)
    try:
        batches = iter(_pipeline(ray, rows, cluster, model, fingerprint, max_bytes)
                       .iter_batches(batch_size=None, batch_format="numpy"))
        try:
            done = 0
            for batch in batches:
                for position, outcome in zip(batch["position"], batch["outcome"]):
                    outcomes[int(position)] = cloudpickle.loads(outcome)
                done += len(batch["position"])
                if on_progress is not None:
                    on_progress("embedding", done, len(rows))
        finally:
            # Stops the pipeline's actors now, not when the iterator is garbage collected,
            # so an interrupted run frees the cluster for the next one.
            getattr(batches, "close", lambda: None)()
    except ray.exceptions.RayError as error:
        raise DistributedIngestError(
            f"The distributed ingest failed on the cluster and the library is unchanged: {_first_line(error)}. "
            "Each node's worker logs are under /tmp/ray/session_latest/logs"
        ) from error
    finally:
        context.enable_progress_bars = bars
    return outcomes


def _pipeline(ray, rows, cluster: RayCluster, model: str, fingerprint: str, max_bytes: int):
    blocks = min(MAX_BLOCKS, math.ceil(len(rows) / cluster.batch_documents))
    if cluster.actors is None:
        pool = ray.data.ActorPoolStrategy(min_size=1, max_size=None)
    else:
        pool = ray.data.ActorPoolStrategy(size=cluster.actors)
    with warnings.catch_warnings():
        # Ray 2.60 takes actor restarts and task retries only as keyword arguments it calls
        # deprecated (removed in 2.64; requirements-ray.txt pins 2.60).
        warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
        return ray.data.from_items(rows, override_num_blocks=blocks).map_batches(
            PrepareAndEmbed,
            fn_constructor_kwargs={"model": model, "threads": cluster.threads, "max_bytes": max_bytes,
                                   "fingerprint": fingerprint},
            batch_size=cluster.batch_documents,
            batch_format="numpy",
            compute=pool,
            num_cpus=cluster.threads,
            # Restart a dead actor every time; retry its batch TASK_RETRIES times (Ray Data's
            # own default retries forever, which would never end on an input that kills it).
            max_restarts=-1,
            max_task_retries=TASK_RETRIES,
        )


# A traceback's last line ("RuntimeError: ..."); Ray passes a worker's exception on only as text.
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b.*$")


def _first_line(error: BaseException) -> str:
    """What went wrong on the worker, in one line: the first exception in Ray's chained
    traceback text (the worker's own), else the innermost wrapped exception."""
    for line in str(error).splitlines():
        if _EXCEPTION_LINE.match(line):
            return line
    while (inner := getattr(error, "cause", None) or error.__cause__) not in (None, error):
        error = inner
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


class PrepareAndEmbed:
    """One Ray actor: loads the model once, then turns batches of inputs into outcomes."""

    def __init__(self, model: str, threads: int, max_bytes: int, fingerprint: str):
        from embeddings import Encoder

        self.encoder = Encoder(model, threads=threads)
        self.max_bytes = max_bytes
        found = pipeline_fingerprint(self.encoder.name, self.encoder.max_tokens)
        if found != fingerprint:
            # Another version of the cleaning rules or passage cutting on this node would
            # store documents that a local ingest would not produce.
            raise DistributedIngestError(
                f"This Ray node runs another version of rag (pipeline {found}, the driver has "
                f"{fingerprint}); install the same version on every node"
            )

    def __call__(self, batch: dict) -> dict:
        from ray import cloudpickle

        outcomes = [prepare_or_failure(item, self.encoder, self.max_bytes)
                    for item in map(cloudpickle.loads, batch["task"])]
        prepared = [outcome for outcome in outcomes if not isinstance(outcome, FileFailure)]
        embedded = iter(embed_documents(self.encoder, prepared))
        outcomes = [outcome if isinstance(outcome, FileFailure) else next(embedded) for outcome in outcomes]
        return {
            "position": batch["position"],
            "outcome": np.array([cloudpickle.dumps(outcome) for outcome in outcomes], dtype=object),
        }
