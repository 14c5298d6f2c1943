"""``policymatch``: the one console entry point.

Subcommands live in ``api/commands/<area>.py``, each with a ``register(sub,
group)`` function; heavy imports stay inside the handlers so ``--help`` is
instant. Errors a user can fix are printed as one sentence, never a traceback
(``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from api.commands import flag

# Each module registers its own subcommands; listed here so the order of --help is stable.
COMMAND_MODULES = (
    "api.commands.models",  # models bootstrap/list/activate/rollback/verify
    "api.commands.corpus",  # ingest policies/enterprises, demo
    "api.commands.honours",  # honours import/reverse/list/show
    "api.commands.extraction",  # extraction helpers (eval extraction is in eval)
    "api.commands.match",  # match, targets, index build
    "api.commands.eval",  # eval extraction/eligibility/retrieval
    "api.commands.train",  # train
    "api.commands.service",  # serve
    "api.commands.admin",  # keys, audit, feedback export
    "api.commands.backup",  # backup, restore (data directory with checksums)
    "api.commands.events",  # subscriptions, events: webhooks, delivery log, replay, dispatch, push timeline
    "api.commands.bench",  # bench encode/store/demo/match/retrieval/api/scale
    "api.commands.risk",  # ledger ingest/list, risk colours/duplicates/monitoring/group/payout, bench duplicates
)

GROUPS = {
    "models": ("model registry: bootstrap, list, promote, rollback, export", ["model"]),
    "ingest": ("ingest policy documents or enterprise profiles", []),
    "eval": ("evaluate extraction, eligibility or retrieval on a labelled set", []),
    "bench": ("benchmarks that write their numbers to docs/benchmarks.md", []),
    "keys": ("API keys by role: create, list, revoke", []),
    "honours": ("honour lists (荣誉认定名单): import as qualification grants, reverse, list", []),
    "feedback": ("闭环反馈: export stored feedback as training pairs", []),
    "subscriptions": ("webhooks for the push module: add, list, delete, ping", []),
    "events": ("the event outbox: list, deliveries, replay, dispatch, push timeline", []),
    "ledger": ("惠企资金台账: append rows from CSV/JSONL, list them", []),
    "risk": (
        "风险监管: 三色预警, duplicate benefits, monitoring, 就高不重复 groups, 免申即享 payout lists",
        [],
    ),
}

GroupFactory = Callable[[str], "argparse._SubParsersAction[argparse.ArgumentParser]"]


def build_parser() -> argparse.ArgumentParser:
    """Build the full argument parser, with every command module's subcommands."""
    parser = argparse.ArgumentParser(
        prog="policymatch", description="政策匹配: 智能匹配 and 精准推送 of 惠企政策."
    )
    flag(parser, "--debug", "show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    groups: dict[str, argparse._SubParsersAction[argparse.ArgumentParser]] = {}

    def group(name: str) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        if name not in groups:
            help_text, aliases = GROUPS.get(name, (name, []))
            group_parser = sub.add_parser(name, help=help_text, aliases=aliases)
            groups[name] = group_parser.add_subparsers(
                dest=f"{name}_command", metavar="SUBCOMMAND", required=True
            )
        return groups[name]

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub, group)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "func", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        result = handler(args)
    except KeyboardInterrupt:
        print("policymatch: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError, LookupError, RuntimeError) as exc:
        if args.debug:
            raise
        print(f"policymatch: error: {exc}", file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
