"""Fuzz the HTTP API from its own OpenAPI schema (schemathesis): no 5xx, every response matches the schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev extra")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

from .conftest import open_matcher  # noqa: E402

# Rebuilding the index re-encodes every item (seconds each); its own tests cover it.
SLOW_OPERATIONS = r"^/v1/index/rebuild$"
EXAMPLES = 25  # per operation (about 20 operations): the whole fuzz stays well under a minute


@pytest.fixture(scope="module")
def fuzzed_app(served_template: Path, tmp_path_factory, encoder) -> Iterator[tuple[object, str]]:  # type: ignore[no-untyped-def]
    """The real app over a private copy of the served data directory, with an admin key and no rate limit."""
    import shutil

    from api.app import create_app
    from api.limits import Limits
    from api.services import Services
    from api.settings import Settings

    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(served_template, data_dir)
    store, matcher = open_matcher(data_dir, encoder, build_index=False)
    services = Services(
        settings=Settings(data_dir=data_dir),
        store=store,
        matcher=matcher,
        limits=Limits(rate_per_minute=1_000_000, burst=1_000_000),
    )
    secret = store.create_api_key("admin", None, "fuzz admin")[1]
    yield create_app(services.settings, services), secret
    services.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed_app):  # type: ignore[no-untyped-def]
    """The app's own OpenAPI schema, as schemathesis reads it."""
    app, _ = fuzzed_app
    return schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=SLOW_OPERATIONS)


def _fuzz(operation, headers: dict[str, str], seen: set[int]) -> None:  # type: ignore[no-untyped-def]
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def fuzz(case):  # type: ignore[no-untyped-def]
        response = case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )
        seen.add(response.status_code)

    fuzz()


@pytest.mark.slow
def test_api_never_5xx_and_matches_its_schema(api_schema, fuzzed_app):  # type: ignore[no-untyped-def]
    _, secret = fuzzed_app
    headers = {"Authorization": f"Bearer {secret}"}
    checked = []
    statuses: dict[str, set[int]] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        _fuzz(operation, headers, statuses.setdefault(operation.label, set()))
        checked.append(operation.label)
    assert len(checked) >= 15, f"only {len(checked)} operations fuzzed: {checked}"
    succeeded = [label for label, codes in statuses.items() if any(200 <= c < 300 for c in codes)]
    # The admin key gets through: most operations answered 2xx for some generated input, not only 401/422.
    assert len(succeeded) >= 10, statuses
    print({label: sorted(codes) for label, codes in statuses.items()})  # noqa: T201
