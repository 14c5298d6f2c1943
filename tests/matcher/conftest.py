"""Fixtures of the matcher tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from service_corpus import open_service_matcher

from matcher.service import Matcher


@pytest.fixture(scope="module")
def matcher(tmp_path_factory: pytest.TempPathFactory, encoder: Any) -> Iterator[Matcher]:
    """The service over the hand-written corpus of :mod:`service_corpus`, one per test module."""
    m = open_service_matcher(tmp_path_factory.mktemp("matcher"), encoder)
    yield m
    m.close()
    m.store.close()
