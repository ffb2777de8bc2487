"""tenders and tender items

Imported GAEB bills (tenders to price, priced bills as history) and their items
with suggested, accepted or overridden unit prices.

Revision ID: d4f6b8c0e2a3
Revises: c3e5a7b9d1f2
Create Date: 2026-11-25 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import handwerkml.db.types

revision: str = "d4f6b8c0e2a3"
down_revision: str | None = "c3e5a7b9d1f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenders",
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=10), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("project_name", sa.String(length=500), nullable=False),
        sa.Column("project_label", sa.String(length=500), nullable=False),
        sa.Column("client_name", sa.String(length=500), nullable=False),
        sa.Column("currency", sa.String(length=10), nullable=False),
        sa.Column("up_frac_dig", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", handwerkml.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", handwerkml.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_tenders_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_tenders_project_id_projects"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenders_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenders")),
    )
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tenders_tenant_created", ["tenant_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tenders_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "tender_items",
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("oz", sa.String(length=50), nullable=False),
        sa.Column("oz_dotted", sa.String(length=60), nullable=False),
        sa.Column("category_rno", sa.String(length=60), nullable=False),
        sa.Column("category_path", sa.JSON(), nullable=False),
        sa.Column("short_text", sa.Text(), nullable=False),
        sa.Column("long_text", sa.Text(), nullable=False),
        sa.Column("qty", handwerkml.db.types.ScaledDecimal(3), nullable=True),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("suggested_up", handwerkml.db.types.ScaledDecimal(3), nullable=True),
        sa.Column("suggestion_source", sa.String(length=20), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("final_up", handwerkml.db.types.ScaledDecimal(3), nullable=True),
        sa.Column("priced_at", handwerkml.db.types.UTCDateTime(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("flag_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tender_items_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tenders.id"],
            name=op.f("fk_tender_items_tender_id_tenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_items")),
    )
    with op.batch_alter_table("tender_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tender_items_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_tender_items_tender_seq", ["tender_id", "seq"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("tender_items", schema=None) as batch_op:
        batch_op.drop_index("ix_tender_items_tender_seq")
        batch_op.drop_index(batch_op.f("ix_tender_items_tenant_id"))

    op.drop_table("tender_items")
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenders_tenant_id"))
        batch_op.drop_index("ix_tenders_tenant_created")

    op.drop_table("tenders")
