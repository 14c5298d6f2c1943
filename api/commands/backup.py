"""``policymatch backup DEST`` / ``policymatch restore SRC``: the data directory with checksums."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from api.commands import flag


def register(sub: argparse._SubParsersAction, group: Any) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add ``backup`` and ``restore``."""
    backup = sub.add_parser(
        "backup", help="copy the store (SQLite online backup), models and indexes into DEST with checksums"
    )
    backup.add_argument("dest", type=Path, metavar="DEST", help="a new or empty folder")
    backup.set_defaults(func=_backup)

    restore = sub.add_parser(
        "restore", help="verify a backup's checksums and restore it into an empty data directory"
    )
    restore.add_argument("src", type=Path, metavar="SRC", help="a folder written by `policymatch backup`")
    flag(restore, "--verify-only", "check the backup's checksums and restore nothing")
    restore.set_defaults(func=_restore)


def _sqlite_only(settings: Any) -> None:
    if settings.store_url and not str(settings.store_url).startswith("sqlite"):
        raise ValueError(
            "POLICYMATCH_STORE_URL names a database server: back it up with its own tools (pg_dump); "
            "`policymatch backup` copies the SQLite store, models and indexes of POLICYMATCH_DATA_DIR"
        )


def _backup(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from corpus.backup import backup

    _sqlite_only(get_settings())
    manifest = backup(get_settings().data_dir, args.dest)
    print(f"backup written: {manifest.summary()}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from corpus.backup import restore, verify_backup

    if args.verify_only:
        print(f"backup verified: {verify_backup(args.src).summary()}")
        return 0
    _sqlite_only(get_settings())
    data_dir = get_settings().data_dir
    manifest = restore(args.src, data_dir)
    print(f"restored into {data_dir}: {manifest.summary()}")
    return 0
