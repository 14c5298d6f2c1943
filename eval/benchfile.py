"""Write one named section of ``docs/benchmarks.md`` without touching the others.

Each benchmark owns a section between ``<!-- BEGIN name -->`` and
``<!-- END name -->`` markers, so several benchmarks can update the one file.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

from durable import exclusive_lock, write_text_atomic

DEFAULT_PATH = Path("docs/benchmarks.md")


def machine_description() -> str:
    """One line naming the machine a number was measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def update_section(name: str, markdown: str, path: Path = DEFAULT_PATH) -> Path:
    """Replace (or append) the section ``name`` of the benchmarks file with ``markdown``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    block = f"<!-- BEGIN {name} -->\n{markdown.rstrip()}\n<!-- END {name} -->"
    with exclusive_lock(path.with_suffix(".lock")):
        text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
        pattern = re.compile(rf"<!-- BEGIN {re.escape(name)} -->.*?<!-- END {re.escape(name)} -->", re.S)
        text = (
            pattern.sub(lambda _: block, text)
            if pattern.search(text)
            else text.rstrip() + "\n\n" + block + "\n"
        )
        write_text_atomic(path, text)
    return path
