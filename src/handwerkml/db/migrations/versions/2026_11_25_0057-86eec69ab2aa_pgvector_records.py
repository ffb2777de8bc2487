"""pgvector records: the pgvector store's table, where the server has pgvector

Revision ID: 86eec69ab2aa
Revises: 5e1f0a7b2c3d
Create Date: 2026-11-25 00:57:00

Only on PostgreSQL, and only where the `vector` extension is available (or
already created): elsewhere (SQLite, PostgreSQL without pgvector, or a database
user that may not create the extension) this revision does nothing, so every
installation migrates. docs/embeddings.md ("pgvector") says how to add the table
when pgvector is installed later; the statements are the ones below.

The table is partitioned by collection: the store (vectors/pgvector.py) adds one
partition per embedding space, with that space's HNSW index. It is not in the
SQLAlchemy metadata (the `vector` type may not exist), and migrations/env.py
keeps autogenerate away from it.
"""

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy import exc, text

revision: str = "86eec69ab2aa"
down_revision: str | None = "5e1f0a7b2c3d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger("alembic.runtime.migration")

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS pgvector_records (
    collection text NOT NULL,
    tenant_id integer NOT NULL,
    record_id text NOT NULL,
    embedding vector NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (collection, tenant_id, record_id)
) PARTITION BY LIST (collection)
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    installed = bind.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).first()
    if installed is None:
        available = bind.execute(
            text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        ).first()
        if available is None:
            logger.info("pgvector is not installed on this server: no pgvector_records table")
            return
        try:
            # A savepoint: without the privilege the migration goes on without the table.
            with bind.begin_nested():
                bind.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
        except exc.DBAPIError as error:
            logger.warning(
                "pgvector is installed but this user may not create the extension (%s); "
                "no pgvector_records table. See docs/embeddings.md, section pgvector.",
                error.orig,
            )
            return
    bind.execute(text(CREATE_TABLE))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The extension stays: other databases' objects may use it.
        op.execute("DROP TABLE IF EXISTS pgvector_records")
