"""Settings, read once from HANDWERKML_* environment variables or a .env file.

This is the one place that decides which backends run: every other module
receives a Settings instance instead of reading the environment itself.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "production", "test"]
Queue = Literal["inprocess", "celery"]
EmbeddingProviderName = Literal["local", "http"]
VectorBackend = Literal["embedded", "pgvector", "qdrant"]


class TierLimits(BaseModel):
    """What one tenant tier may use: quota units (chunks) per UTC day and jobs at once."""

    daily_units: int = Field(ge=0)
    concurrent_jobs: int = Field(ge=1)


def limits_for(tiers: dict[str, TierLimits], tier: str | None) -> TierLimits:
    """A tier's limits; a tier the settings do not name gets the free tier's, or the strictest."""
    if tier is not None and tier in tiers:
        return tiers[tier]
    if "free" in tiers:
        return tiers["free"]
    return min(tiers.values(), key=lambda t: (t.concurrent_jobs, t.daily_units))


DEFAULT_TIERS = {
    "free": TierLimits(daily_units=1_000, concurrent_jobs=2),
    "premium": TierLimits(daily_units=10_000, concurrent_jobs=5),
    "enterprise": TierLimits(daily_units=100_000, concurrent_jobs=20),
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HANDWERKML_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Environment = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes for `serve`")
    data_dir: Path = Path("./var")
    database_url: str = "sqlite+aiosqlite:///./var/handwerkml.db"
    database_echo: bool = False
    database_pool_size: int = Field(default=10, ge=1)

    # Tokens signed with this key; when unset a random key is created once and
    # kept in data_dir/secret_key so restarts and worker processes agree on it.
    secret_key: SecretStr | None = None
    access_token_minutes: int = Field(default=30, ge=1)
    refresh_token_days: int = Field(default=7, ge=1)
    # Seconds a resolved user or API key is trusted without a database look-up;
    # bounds how long a revoked key or deactivated user keeps working.
    principal_cache_seconds: float = Field(default=5.0, ge=0)

    metrics_public: bool = True
    cors_origins: list[str] = []

    # Background jobs (jobs/). "inprocess" runs `job_workers` asyncio workers inside each
    # API process; "celery" leaves the work to `handwerkml worker` processes, woken
    # through the Redis broker. The jobs table is the source of truth either way.
    queue: Queue = "inprocess"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Names the Celery queue and the Redis event channels, so installations can share a Redis.
    queue_name: str = "handwerkml"
    job_workers: int = Field(default=2, ge=0)
    # A worker that misses heartbeats for this long loses its job to another worker.
    job_lease_seconds: float = Field(default=30.0, gt=0)
    # Workers look for due work this often even when nothing woke them (retry
    # back-offs, expired leases of crashed workers).
    job_poll_seconds: float = Field(default=1.0, gt=0)
    # A worker returns a job to the scheduler after this long, so a big job shares
    # the workers with the jobs of other tenants that arrived after it.
    job_slice_seconds: float = Field(default=2.0, gt=0)
    # An item running longer than this fails (and is retried) instead of hanging the job.
    job_item_timeout_seconds: float = Field(default=600.0, gt=0)
    # Attempts per item, and the back-off before retry n: base * 2**(n-1), ± jitter share.
    job_max_attempts: int = Field(default=4, ge=1)
    job_retry_base_seconds: float = Field(default=60.0, ge=0)
    job_retry_jitter: float = Field(default=0.1, ge=0, le=1)
    # A job whose failed share of items exceeds this ends `failed`, otherwise `succeeded`.
    job_max_failed_share: float = Field(default=0.5, ge=0, le=1)
    # Finished jobs (and their items) are deleted after this many days.
    job_retention_days: int = Field(default=30, ge=1)
    # How often the periodic tick runs (stale-lease sweep, wake-ups, scheduled jobs).
    job_tick_seconds: float = Field(default=15.0, gt=0)
    # Modules imported at start-up that register more job kinds (a plugin seam).
    job_plugins: list[str] = []
    tiers: dict[str, TierLimits] = Field(default=DEFAULT_TIERS, min_length=1)
    # `handwerkml worker` serves its Prometheus metrics on this port when set.
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)

    # Embeddings (embeddings/). "local" runs a model shipped in a pip package, prepared
    # once into `models_dir` by `handwerkml embeddings prepare`; "http" calls an
    # OpenAI-compatible server (TEI, Infinity, Ollama). Changing the model of a running
    # installation is `handwerkml embeddings migrate`, not a change of these settings:
    # the active collection in the database names the model searches use.
    embedding_provider: EmbeddingProviderName = "local"
    # A name from `handwerkml embeddings info` (local) or the server's model name (http).
    embedding_model: str = "multilingual-e5-small"
    embedding_precision: Literal["int8", "fp32"] = "int8"
    # 0: one per core. Texts the local model embeds side by side, one thread each,
    # shared by the process.
    embedding_threads: int = Field(default=0, ge=0)
    # Texts per request to an HTTP embedding server (the local model takes one per call).
    embedding_batch_size: int = Field(default=16, ge=1, le=1024)
    # Where prepared local models live; default DATA_DIR/models.
    models_dir: Path | None = None
    embedding_http_url: str | None = None
    embedding_http_api_key: SecretStr | None = None
    embedding_http_dimension: int | None = Field(default=None, ge=1)
    embedding_http_timeout_seconds: float = Field(default=30.0, gt=0)
    # e5-style models served over HTTP expect the caller to add these.
    embedding_http_query_prefix: str = ""
    embedding_http_passage_prefix: str = ""
    # Vectors kept in memory in front of the database's embedding cache, per process.
    embedding_cache_entries: int = Field(default=10_000, ge=0)

    # Vector stores (vectors/): an index over the vectors the database holds.
    # "embedded" keeps it inside the one process that serves and runs jobs.
    vector_backend: VectorBackend = "embedded"
    # Embedded: a tenant's vectors are searched exactly below this count, by HNSW above.
    vector_exact_below: int = Field(default=20_000, ge=0)
    # HNSW candidate list per search: higher finds more true neighbours, slower.
    vector_ef_search: int = Field(default=256, ge=10)
    # "pgvector": the graph's size and the candidates per search, pgvector's own terms
    # (docs/embeddings.md has the measurements behind these defaults).
    pgvector_m: int = Field(default=32, ge=4, le=100)
    pgvector_ef_construction: int = Field(default=128, ge=16, le=1000)
    pgvector_ef_search: int = Field(default=200, ge=10, le=1000)
    # "qdrant": a server at this URL (pip install 'handwerkml[qdrant]'); without one,
    # Qdrant's local mode in DATA_DIR/qdrant, which one process at a time may open.
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None

    # Documents (documents/). Uploads larger than this are refused with 413.
    document_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    # Chunk size and overlap, in tokens of the embedding model.
    # At most 512: the local models see no further.
    chunk_tokens: int = Field(default=256, ge=32, le=512)
    chunk_overlap_tokens: int = Field(default=32, ge=0, le=512)
    # Directories a folder ingestion may read (`handwerkml ingest`, POST
    # /documents/folders); none by default, so the API can reach no server path.
    ingest_roots: list[Path] = []
    ocr_languages: str = "deu+eng"
    ocr_dpi: int = Field(default=300, ge=72, le=600)

    # Tenders (tenders/): pricing GAEB items from the firm's priced history. A past item
    # counts when its text is at least this similar (cosine) and its unit the same. With
    # multilingual-e5-small unrelated items score up to ~0.91, rewordings 0.93–0.95.
    tender_history_min_similarity: float = Field(default=0.93, ge=0.0, le=1.0)
    tender_history_matches: int = Field(default=10, ge=1, le=100)
    # Yearly price increase that brings an old unit price to today (0.03 = 3 % a year).
    tender_price_index_per_year: float = Field(default=0.03, ge=-0.5, le=1.0)
    # Tender items per pricing job item (one transaction and checkpoint each).
    tender_price_batch: int = Field(default=50, ge=1, le=1000)

    # Price prediction (pricing/). Below this many finished projects no model is
    # trained and predictions come from similar projects.
    pricing_min_training_projects: int = Field(default=30, ge=10)
    # Retrain (scheduler tick) once this many projects were finished since the last training.
    pricing_retrain_after: int = Field(default=20, ge=1)
    # Nominal coverage of the prediction interval.
    pricing_interval_coverage: float = Field(default=0.8, gt=0, lt=1)
    # k of the fallback (similar finished projects), and of the model's cost breakdown
    # (finished projects of the type nearest in area).
    pricing_similar_projects: int = Field(default=5, ge=1, le=25)
    # XGBoost threads for training.
    pricing_threads: int = Field(default=2, ge=1)

    demo_admin_email: str = "admin@demo.handwerkml.de"
    demo_admin_password: SecretStr | None = None
    demo_seed: int = 42

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="after")
    def _backends_fit(self) -> Settings:
        single_process = self.vector_backend == "embedded" or (
            self.vector_backend == "qdrant" and self.qdrant_url is None
        )
        if self.queue == "celery" and single_process:
            raise ValueError(
                f"vector_backend={self.vector_backend} without a server keeps the index inside "
                "one process, but queue=celery writes vectors in worker processes: use "
                "pgvector, or qdrant with qdrant_url"
            )
        if self.embedding_provider == "http" and (
            self.embedding_http_url is None or self.embedding_http_dimension is None
        ):
            raise ValueError(
                "embedding_provider=http needs embedding_http_url and embedding_http_dimension"
            )
        return self

    @property
    def model_directory(self) -> Path:
        return self.models_dir if self.models_dir is not None else self.data_dir / "models"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def jwt_secret(self) -> str:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # O_EXCL: two workers starting at once must end up with the same key.
            try:
                with path.open("x", encoding="utf-8") as handle:
                    handle.write(secrets.token_urlsafe(48))
                path.chmod(0o600)
            except FileExistsError:
                pass
        return path.read_text(encoding="utf-8").strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
