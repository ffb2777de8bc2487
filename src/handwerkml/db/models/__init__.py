"""All tables, imported here so Alembic and the test fixtures see the whole metadata."""

from handwerkml.db.models.company import CompanySettings
from handwerkml.db.models.documents import Document, DocumentChunk, StoredFile
from handwerkml.db.models.embeddings import EmbeddingCacheEntry
from handwerkml.db.models.jobs import Job, JobItem, JobWorker, TenantUsage
from handwerkml.db.models.materials import Material, MaterialPrice
from handwerkml.db.models.pricing import Prediction, PriceModel
from handwerkml.db.models.projects import Customer, Project, ProjectMaterial, ProjectType
from handwerkml.db.models.tenancy import ApiKey, Tenant, User
from handwerkml.db.models.tenders import Tender, TenderItem
from handwerkml.db.models.vectors import VectorCollection, VectorRecord

__all__ = [
    "ApiKey",
    "CompanySettings",
    "Customer",
    "Document",
    "DocumentChunk",
    "EmbeddingCacheEntry",
    "Job",
    "JobItem",
    "JobWorker",
    "Material",
    "MaterialPrice",
    "Prediction",
    "PriceModel",
    "Project",
    "ProjectMaterial",
    "ProjectType",
    "StoredFile",
    "Tenant",
    "TenantUsage",
    "Tender",
    "TenderItem",
    "User",
    "VectorCollection",
    "VectorRecord",
]
