"""Draw docs/evaluation.svg from `python -m rag eval ... --json` outputs (one per line).

A plain SVG bar chart, written by hand so the repo needs no plotting library: one group of
bars per metric, one bar per search mode, and the published reference points as ticks.

    .venv/bin/python bench/plot_evaluation.py results.jsonl docs/evaluation.svg
"""

from __future__ import annotations

import json
import sys
from html import escape
from pathlib import Path

MODES = ("dense", "lexical", "hybrid")
COLOURS = {"dense": "#7aa6c2", "lexical": "#c2a27a", "hybrid": "#3d7a4f"}
PANELS = (
    ("beir-scifact", "test", "SciFact (test)", ("ndcg@10", "recall@10", "recall@100"),
     {"ndcg@10": (("BM25", 0.679), ("MiniLM", 0.645), ("bge-base", 0.741))}),
    ("dev-v1.1", "all", "SQuAD v1.1 dev (all)", ("recall@1", "recall@5", "evidence_accuracy"), {}),
)
BAR, GAP, GROUP_GAP, HEIGHT, TOP, LEFT = 22, 4, 30, 220, 40, 50


def draw(results: list[dict]) -> str:
    by_key = {(r["dataset"], r["split"], r["mode"]): r["metrics"] for r in results}
    parts, x = [], LEFT
    for dataset, split, title, metrics, references in PANELS:
        start = x
        for metric in metrics:
            group_start = x
            for mode in MODES:
                value = by_key.get((dataset, split, mode), {}).get(metric)
                if value is None:
                    x += BAR + GAP
                    continue
                height = value * HEIGHT
                parts.append(f'<rect x="{x}" y="{TOP + HEIGHT - height:.1f}" width="{BAR}" height="{height:.1f}" '
                             f'fill="{COLOURS[mode]}"><title>{mode} {metric} {value:.3f}</title></rect>')
                parts.append(f'<text x="{x + BAR / 2}" y="{TOP + HEIGHT - height - 3:.1f}" font-size="8" '
                             f'text-anchor="middle">{value:.3f}</text>')
                x += BAR + GAP
            for label, value in references.get(metric, ()):
                y = TOP + HEIGHT - value * HEIGHT
                parts.append(f'<line x1="{group_start - 2}" x2="{x}" y1="{y:.1f}" y2="{y:.1f}" stroke="#999" '
                             f'stroke-dasharray="3,2"/><text x="{x + 2}" y="{y + 3:.1f}" font-size="8" '
                             f'fill="#666">{escape(label)} {value}</text>')
            parts.append(f'<text x="{(group_start + x) / 2}" y="{TOP + HEIGHT + 14}" font-size="10" '
                         f'text-anchor="middle">{escape(metric)}</text>')
            x += GROUP_GAP + 30
        parts.append(f'<text x="{(start + x) / 2}" y="{TOP - 20}" font-size="12" font-weight="bold" '
                     f'text-anchor="middle">{escape(title)}</text>')
        x += GROUP_GAP
    legend = "".join(
        f'<rect x="{LEFT + i * 90}" y="{TOP + HEIGHT + 28}" width="10" height="10" fill="{COLOURS[m]}"/>'
        f'<text x="{LEFT + i * 90 + 14}" y="{TOP + HEIGHT + 37}" font-size="10">{m}</text>'
        for i, m in enumerate(MODES))
    axis = (f'<line x1="{LEFT - 5}" x2="{x}" y1="{TOP + HEIGHT}" y2="{TOP + HEIGHT}" stroke="#333"/>'
            + "".join(f'<text x="{LEFT - 10}" y="{TOP + HEIGHT - v * HEIGHT + 3}" font-size="8" '
                      f'text-anchor="end">{v:.1f}</text>' for v in (0, 0.2, 0.4, 0.6, 0.8, 1.0)))
    width, height = x + 40, TOP + HEIGHT + 50
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="sans-serif">{axis}{"".join(parts)}{legend}</svg>\n')


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    results = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
    target.write_text(draw(results))
    print(f"wrote {target} from {len(results)} results")


if __name__ == "__main__":
    main()
