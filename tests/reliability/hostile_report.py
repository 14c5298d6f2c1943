"""The hostile run's table for docs/reliability.md, and whether issue 18's goals were met."""

from __future__ import annotations

import platform
import time
from collections import Counter
from typing import Any

READ_TIMEOUT_S = 3.0
QUIET_S = 20.0


def pct(values: list[float], q: float) -> float:
    """The ``q``-quantile (0-1) of ``values`` (the value at rank ``int(q * n)``); NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def render(
    result: dict[str, Any], worst: list[tuple[str, float, float]], bomb: tuple[float, float, str]
) -> str:
    """Markdown for docs/reliability.md."""
    health = result["health"]
    five = sum(n for (_, status), n in result["tally"].items() if status >= 500)
    dropped = sum(n for (_, status), n in result["tally"].items() if status == 0)
    statuses: dict[str, Counter[int]] = {}
    for (kind, status), n in sorted(result["tally"].items()):
        statuses.setdefault(kind, Counter())[status] += n
    lines = [
        f"Run of `python -m tests.reliability.hostile` ({time.strftime('%Y-%m-%d')}): `policymatch serve` on loopback, "
        f"demo corpus of 5 policies and 300 enterprises, read timeout {READ_TIMEOUT_S:g} s. "
        f"Machine: {platform.processor() or platform.machine()}, 2 cores shared with other jobs "
        f"(load average {result['load']:.1f} at the start), Python {platform.python_version()}.",
        "",
        "| goal | measured |",
        "|---|---|",
        f"| health p99 < 100 ms while the hostile requests run ({result['hostile_s']:.0f} s) | "
        f"p50 {pct(health, 0.5):.1f} ms, p99 **{pct(health, 0.99):.1f} ms**, max {max(health):.1f} ms over {len(health)} probes; "
        f"{len(result['health_failures'])} failed |",
        f"| (reference: the same probes beside the same 智能匹配 client, no hostile request, {QUIET_S:g} s) | "
        f"p50 {pct(result['quiet'], 0.5):.1f} ms, p99 {pct(result['quiet'], 0.99):.1f} ms, max {max(result['quiet']):.1f} ms |",
        f"| 0 5xx | **{five}** (and {dropped} requests without an answer) |",
        f"| 0 formula cells in targets.csv | **{result['formula_cells']}** ({result['neutralised']} cells neutralised with a leading `'`) |",
        "| every refusal audited | sent "
        + ", ".join(f"{k}: {v}" for k, v in sorted(result["refusals_sent"].items()))
        + " · audited "
        + ", ".join(f"{k}: {v}" for k, v in sorted(result["refusals_audited"].items()))
        + f" (in {result['audit_rows']} rows) |",
        "",
        f"智能匹配 beside them: p50 {pct(result['beside'], 0.5):.0f} ms, p99 {pct(result['beside'], 0.99):.0f} ms, "
        f"max {max(result['beside'] or [0]):.0f} ms ({len(result['beside'])} requests; before issue 18 one took 322 s).",
        f"Half-sent body: answered {result['half_sent'][0]} after {result['half_sent'][1]:.1f} s.",
        "",
        "| request | statuses |",
        "|---|---|",
    ]
    for kind, counts in statuses.items():
        lines.append(f"| {kind} | {', '.join(f'{s}: {n}' for s, n in sorted(counts.items()))} |")
    lines += ["", *[f"- {note}" for note in result["notes"]], ""]
    lines += [
        "Whole policy read (split, extract, support text) at 200 000 characters, in one process, worst first:",
        "",
        "| text | seconds | µs per character |",
        "|---|---:|---:|",
        *[f"| {name} | {seconds:.2f} | {per:.1f} |" for name, seconds, per in worst],
        "",
        f"A .docx bomb ({bomb[2]}) is refused in {bomb[0]:.2f} s with a peak of {bomb[1]:.0f} MB "
        "(before issue 18: past 150 s and 656 MB).",
    ]
    return "\n".join(lines)


def goals_met(result: dict[str, Any]) -> bool:
    """The issue's goals: health p99 < 100 ms, no 5xx, no formula cell, every refusal audited."""
    five = sum(n for (_, status), n in result["tally"].items() if status >= 500)
    return (
        pct(result["health"], 0.99) < 100
        and not result["health_failures"]
        and five == 0
        and not any(status == 0 for (_, status) in result["tally"])
        and result["formula_cells"] == 0
        and result["refusals_sent"] == result["refusals_audited"]
    )
