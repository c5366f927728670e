"""Distributed ingest: reading, cleaning, passage cutting and embedding as a Ray Data pipeline.

The same steps as a local ingest, split where the database is needed:

1. on the driver (this process), `rag.ingest_run.triage` decides which inputs need reading;
2. on Ray actors, each loading the model once, `rag.ingest.prepare_or_failure` and
   `rag.document_vectors.embed_documents` turn batches of inputs into embedded documents
   (the functions a local ingest calls, so the result is the same);
3. on the driver, as results stream back in input order, `rag.ingest_run.GenerationBuffer`
   commits them through `Writer.store_embedded`, one generation per `commit_every` passages.

The driver holds the inputs' names and one generation's documents, never the archive's
texts or vectors. A failed or interrupted run leaves the generations it committed and drops
the one it was building; running it again skips what was committed. A file that cannot be
parsed is a per-file result (`FileFailure`), as locally; an actor that dies is restarted and
its batch retried (`TASK_RETRIES`).

Workers read files themselves: every path must be readable under the same name on every
node (a shared filesystem), and every node needs this project and its requirements.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from contextlib import closing
from dataclasses import dataclass

import numpy as np

from rag.document_vectors import embed_documents
from rag.errors import DistributedIngestError
from rag.ingest import pipeline_fingerprint, prepare_or_failure
from rag.ingest_run import DEFAULT_COMMIT_EVERY, GenerationBuffer, triage
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
           max_bytes: int = DEFAULT_MAX_BYTES, commit_every: int = DEFAULT_COMMIT_EVERY) -> IngestReport:
    """Ingest `inputs` (`FileInput`/`RecordInput`) on Ray through `writer` (a library's
    `rag.writer.Writer`), whose write lock the caller holds (`writer.writing()`), one
    generation per `commit_every` passages. Progress is ("embedding", documents done,
    documents to do) and ("stored", inputs committed, inputs)."""
    check_cluster(cluster.address)  # before any work: a missing extra or a wrong address fail at once
    writer.ensure_model_recorded()
    fingerprint = writer.fingerprint()
    pending, skipped = triage(writer.db, inputs, fingerprint)
    log.info("distributed ingest: %d inputs to read on Ray, %d unchanged", len(pending), len(skipped))
    progress = on_progress or (lambda stage, done, total: None)
    buffer = GenerationBuffer(lambda items: writer.store_embedded(items, [], [], fingerprint),
                              commit_every, progress, len(inputs))
    buffer.inputs_done = len(skipped)
    failed = []
    if pending:
        with ray_session(cluster.address):
            # The workers embed with the driver's backend, so the library gets one kind of vectors.
            encoder_args = {"model": writer.encoder.name, "backend": writer.encoder.requested_backend}
            outcomes = _outcomes([item for item, _, _ in pending], cluster, encoder_args,
                                 fingerprint, max_bytes, progress, lambda: buffer.committed == 0)
            with closing(outcomes):
                for (_, _, old_id), outcome in zip(pending, outcomes):
                    buffer.inputs_done += 1
                    if isinstance(outcome, FileFailure):
                        failed.append(outcome)
                    else:
                        buffer.add(outcome, old_id, len(outcome.document.passages))
    return buffer.report(skipped, failed)


def _outcomes(tasks, cluster: RayCluster, encoder_args: dict, fingerprint: str, max_bytes: int,
              progress, unchanged):
    """One outcome (EmbeddedDocument or FileFailure) per input, yielded in input order as
    the workers return them. Results that come back early wait in `early` until those
    before them are in; Ray Data is asked to keep the order, so that stays small."""
    import ray
    from ray import cloudpickle

    # Inputs and results travel pickled whole, so fields added to them later need no change here.
    rows = [{"position": n, "task": cloudpickle.dumps(task)} for n, task in enumerate(tasks)]
    context = ray.data.DataContext.get_current()
    bars, context.enable_progress_bars = context.enable_progress_bars, False  # progress is on_progress's
    ordered, context.execution_options.preserve_order = context.execution_options.preserve_order, True
    early: dict[int, object] = {}
    next_position = done = 0
    try:
        batches = iter(_pipeline(ray, rows, cluster, encoder_args, fingerprint, max_bytes)
                       .iter_batches(batch_size=None, batch_format="numpy"))
        del rows  # Ray holds the inputs now
        try:
            for batch in batches:
                for position, outcome in zip(batch["position"], batch["outcome"]):
                    early[int(position)] = cloudpickle.loads(outcome)
                done += len(batch["position"])
                progress("embedding", done, len(tasks))
                while next_position in early:
                    yield early.pop(next_position)
                    next_position += 1
        finally:
            # Stops the pipeline's actors now, not when the iterator is garbage collected,
            # so an interrupted run frees the cluster for the next one.
            getattr(batches, "close", lambda: None)()
    except ray.exceptions.RayError as error:
        state = ("the library is unchanged" if unchanged() else
                 "the generations committed before it stay in the library (run the ingest again to go on)")
        raise DistributedIngestError(
            f"The distributed ingest failed on the cluster and {state}: {_first_line(error)}. "
            "Each node's worker logs are under /tmp/ray/session_latest/logs"
        ) from error
    finally:
        context.enable_progress_bars = bars
        context.execution_options.preserve_order = ordered


def _pipeline(ray, rows, cluster: RayCluster, encoder_args: dict, fingerprint: str, max_bytes: int):
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
            fn_constructor_kwargs={**encoder_args, "threads": cluster.threads, "max_bytes": max_bytes,
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

    def __init__(self, model: str, backend: str, threads: int, max_bytes: int, fingerprint: str):
        from embeddings import Encoder

        self.encoder = Encoder(model, backend=backend, threads=threads)
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
