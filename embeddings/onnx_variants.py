"""Faster numeric variants of an exported ONNX graph, made locally from it and cached beside it.

Owns the int8 graph: ONNX Runtime's dynamic quantisation of the fp32 export
(`embeddings.onnx_export`) with per-channel weight scales (one scale per output column of
each MatMul, not one per matrix) and int8 weights; activations are quantised per batch at
run time, so no calibration data is needed. On CPUs with AVX-512 VNNI ONNX Runtime runs the
products as u8 x s8 integer dot products. What it costs in fidelity and gains in speed is in
docs/performance.md (bench/encoder_paths.py). No bf16 graph: ONNX Runtime's CPU provider has
no bfloat16 MatMul kernels on x86, so the bf16 path runs on torch (`embeddings.st_model`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from embeddings.onnx_export import replacing

log = logging.getLogger(__name__)

# Bump when the quantisation settings change, so old cached graphs are ignored.
INT8_VERSION = 1


def int8_graph(fp32_graph: Path) -> Path:
    """The int8 graph derived from `fp32_graph` (cached beside it), quantised first if missing."""
    target = fp32_graph.with_name(f"{fp32_graph.stem}-int8v{INT8_VERSION}.onnx")
    if not target.exists():
        quantize_int8(fp32_graph, target)
    return target


def quantize_int8(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    log.info("quantising %s to int8 (once; cached as %s)", source.name, target.name)
    with replacing(target) as tmp:
        quantize_dynamic(
            str(source), tmp,
            per_channel=True,  # a scale per output column: rows of very different size keep their precision
            reduce_range=False,  # 8 bits, not 7: VNNI's dot products do not overflow
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Gemm"],  # the weights; attention's own products stay fp32
        )
