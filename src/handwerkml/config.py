"""Settings, read once from HANDWERKML_* environment variables or a .env file.

This is the one place that decides which backends run: every other module
receives a Settings instance instead of reading the environment itself.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "production", "test"]


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

    demo_admin_email: str = "admin@demo.handwerkml.de"
    demo_admin_password: SecretStr | None = None
    demo_seed: int = 42

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

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
