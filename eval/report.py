"""Report folders: ``metrics.json``, ``summary.md`` and PNG plots (matplotlib, headless).

Chinese labels need a CJK font; :func:`cjk_font` finds one installed
(WenQuanYi Zen Hei, Noto CJK, ...) and the plots fall back to English labels
when there is none.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from durable import write_text_atomic

CJK_FONT_HINTS = (
    "wqy",
    "zenhei",
    "microhei",
    "noto sans cjk",
    "noto serif cjk",
    "notosanscjk",
    "source han",
    "simhei",
    "droid sans fallback",
)

# English fallbacks for the Chinese words the plots use.
ENGLISH_LABELS = {"召回率": "recall", "级别": "level", "真实": "true", "预测": "predicted", "字段": "field"}


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Name of an installed font family that covers Chinese, or None."""
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        label = f"{entry.name} {Path(entry.fname).name}".lower()
        if any(hint in label for hint in CJK_FONT_HINTS):
            return str(entry.name)
    return None


def _pyplot() -> Any:
    import logging

    import matplotlib

    matplotlib.use("Agg")
    # WenQuanYi declares weight 500 for "normal"; matplotlib warns on every label otherwise.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    import matplotlib.pyplot as plt

    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False
    return plt


def label(text: str) -> str:
    """Return the Chinese label, or its English fallback when no CJK font is installed."""
    if cjk_font():
        return text
    for zh, en in ENGLISH_LABELS.items():
        text = text.replace(zh, en)
    return text if text.isascii() else text.encode("ascii", "ignore").decode() or "?"


def plot_recall_curves(
    curves: Mapping[str, Mapping[int, float]], path: Path, title: str = "recall@k"
) -> Path:
    """One line per system: recall@k against k (log-scaled k axis)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for name, points in curves.items():
        ks = sorted(points)
        ax.plot(ks, [points[k] for k in ks], marker="o", label=label(name))
    _recall_axes(ax, curves, label(title))
    ax.legend(fontsize=8, loc="lower right")
    return _save(plt, fig, path)


def plot_before_after(
    curves: Mapping[str, Mapping[int, float]],
    path: Path,
    before: str,
    after: str,
    title: str = "recall@k",
) -> Path:
    """recall@k of two model versions side by side: one colour per system, dashed ``before``, solid ``after``.

    A curve whose name carries neither version (``bm25``, ``tfidf-*``) is drawn thin and grey-toned.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=110)
    kinds: dict[str, int] = {}
    palette = plt.get_cmap("tab10")
    for name, points in curves.items():
        ks = sorted(points)
        version = (
            before
            if before in name.replace("@", ":").split(":")
            else after
            if after in name.replace("@", ":").split(":")
            else None
        )
        kind = name.replace(f":{before}", "").replace(f":{after}", "") if version else name
        if version:
            color = palette(kinds.setdefault(kind, len(kinds)) % 10)
            style = {"linestyle": "--" if version == before else "-", "linewidth": 1.8, "color": color}
        else:
            style = {"linestyle": ":", "linewidth": 1.0, "color": "0.45"}
        ax.plot(ks, [points[k] for k in ks], marker="o", markersize=3, label=label(name), **style)
    _recall_axes(ax, curves, label(f"{title} ({before} dashed, {after} solid)"))
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    return _save(plt, fig, path)


def _recall_axes(ax: Any, curves: Mapping[str, Mapping[int, float]], title: str) -> None:
    """Log-scaled k ticks at every k measured, recall from 0 to 1, grid and title."""
    all_ks = sorted({k for points in curves.values() for k in points})
    ax.set_xscale("log")
    ax.set_xticks(all_ks)
    ax.set_xticklabels([str(k) for k in all_ks])
    ax.set_xlabel("k")
    ax.set_ylabel(label("召回率 recall@k"))
    ax.set_ylim(0, 1.01)
    ax.grid(True, alpha=0.3)
    ax.set_title(title)


def _save(plt: Any, fig: Any, path: Path) -> Path:
    """Lay out, write ``path`` (creating its folder) and free the figure."""
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_confusion(
    labels: Sequence[str], matrix: np.ndarray, path: Path, title: str = "级别 confusion"
) -> Path:
    """Confusion matrix of levels, rows true, columns predicted, counts written in the cells."""
    plt = _pyplot()
    matrix = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(5.5, 4.8), dpi=110)
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)))
    ax.set_yticks(range(len(labels)))
    ax.set_xticklabels([label(x) for x in labels], rotation=30, ha="right")
    ax.set_yticklabels([label(x) for x in labels])
    ax.set_xlabel(label("预测 predicted"))
    ax.set_ylabel(label("真实 true"))
    peak = matrix.max() if matrix.size else 0
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            ax.text(
                j,
                i,
                str(int(matrix[i, j])),
                ha="center",
                va="center",
                color="white" if matrix[i, j] > peak / 2 else "black",
            )
    ax.set_title(label(title))
    return _save(plt, fig, path)


def plot_field_f1(per_field: Mapping[str, float], path: Path, title: str = "字段 F1") -> Path:
    """Horizontal bars: extraction F1 per field."""
    plt = _pyplot()
    names = sorted(per_field, key=lambda name: per_field[name])
    fig, ax = plt.subplots(figsize=(6.5, max(2.5, 0.35 * len(names) + 1)), dpi=110)
    ax.barh([label(n) for n in names], [per_field[n] for n in names], color="#4C72B0")
    ax.set_xlim(0, 1.0)
    ax.set_xlabel("F1")
    ax.set_title(label(title))
    for y, name in enumerate(names):
        ax.text(min(per_field[name] + 0.01, 0.93), y, f"{per_field[name]:.2f}", va="center", fontsize=8)
    return _save(plt, fig, path)


def _clean(value: Any) -> Any:
    """JSON-safe copy: numpy scalars/arrays to Python, NaN to None, Paths to str."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, np.generic):
        return _clean(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_metrics(metrics: Mapping[str, Any], out_dir: Path) -> Path:
    """Write ``out_dir/metrics.json`` atomically (sorted keys, UTF-8)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "metrics.json"
    write_text_atomic(path, json.dumps(_clean(metrics), ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return path


def write_summary(markdown: str, out_dir: Path) -> Path:
    """Write ``out_dir/summary.md``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "summary.md"
    path.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    return path


def fmt(value: Any) -> str:
    """Format a metric for a Markdown table: three decimals, or a dash."""
    if isinstance(value, float | np.floating):
        return f"{float(value):.3f}"
    if value is None:
        return "–"
    return str(value)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Return a GitHub Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(fmt(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def publish_section(
    name: str,
    title: str,
    table: str,
    report_dir: Path,
    set_sha256: str,
    *,
    extra: str = "",
    docs: Path = Path("docs"),
) -> Path:
    """Write a report's table and plots into ``docs/benchmarks.md`` (section ``name``), plots copied under ``docs/img/``."""
    import shutil

    from eval.benchfile import machine_description, update_section

    images = []
    for png in sorted(Path(report_dir).glob("*.png")):
        target = docs / "img" / f"{name}-{png.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, target)
        images.append(f"![{png.stem}](img/{target.name})")
    body = (
        f"### {title}\n\nMachine: {machine_description()}. Set sha256 `{set_sha256[:16]}`. {extra}\n\n"
        f"{table}\n\n" + "\n".join(images)
    )
    return update_section(name, body, path=docs / "benchmarks.md")
