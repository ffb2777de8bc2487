"""The `tenders.price` job kind: embed a bill's items and suggest a unit price for each.

One job item is a batch of tender items (HANDWERKML_TENDER_PRICE_BATCH, 50): embed
their texts (through the cache), search the firm's priced history for each, and
write the suggestions and the items' vectors in the item's transaction, so every
batch is a checkpoint. An imported priced bill (history) runs the same job: its
items are only embedded, with priced=True, and become findable.

The order of the sources and their arithmetic: tenders/suggest.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from handwerkml import gaeb
from handwerkml.company.service import get_company_settings
from handwerkml.db.models import CompanySettings, Material, Tender, TenderItem
from handwerkml.embeddings.base import Embeddings
from handwerkml.jobs.kinds import Item, ItemOutcome, ItemSpec, JobContext, JobKind, register
from handwerkml.kit.time import utcnow
from handwerkml.tenders import suggest
from handwerkml.tenders.items import SOURCE, item_text, sources
from handwerkml.tenders.model_price import ModelPrices
from handwerkml.tenders.suggest import CatalogMaterial, PastPrice, Suggestion
from handwerkml.tenders.units import is_hourly_unit, normalize_unit
from handwerkml.vectors.base import Condition, SearchFilter
from handwerkml.vectors.index import Collection, VectorIndex

HISTORY = "history"
REVIEW = "review"


class PriceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tender_id: int = Field(ge=1)
    # Items to embed, for the daily quota check before the job is queued.
    item_count: int = Field(default=0, ge=0)


@register
class PriceTender(JobKind[PriceParams]):
    name = "tenders.price"
    params = PriceParams

    def estimate_units(self, params: PriceParams) -> int:
        # An item embeds like a document chunk: it counts against the same daily quota.
        return params.item_count

    async def plan(self, ctx: JobContext, params: PriceParams) -> Iterable[ItemSpec]:
        ids = list(
            (
                await ctx.session.scalars(
                    select(TenderItem.id)
                    .where(
                        TenderItem.tender_id == params.tender_id,
                        TenderItem.tenant_id == ctx.tenant_id,
                    )
                    .order_by(TenderItem.seq)
                )
            ).all()
        )
        size = ctx.settings.tender_price_batch
        return [
            ItemSpec(label=f"Positionen {start + 1}–{start + len(batch)}", payload={"ids": batch})
            for start, batch in ((s, ids[s : s + size]) for s in range(0, len(ids), size))
        ]

    async def run_item(self, ctx: JobContext, params: PriceParams, item: Item) -> ItemOutcome:
        if ctx.tenant_id is None:
            raise ValueError("tenders.price belongs to a tenant")
        tender = await ctx.session.get(Tender, params.tender_id)
        if tender is None or tender.tenant_id != ctx.tenant_id:
            return ItemOutcome(result={"skipped": "the tender was deleted"})
        rows = list(
            (
                await ctx.session.scalars(
                    select(TenderItem)
                    .where(
                        TenderItem.tender_id == tender.id, TenderItem.id.in_(item.payload["ids"])
                    )
                    .order_by(TenderItem.seq)
                )
            ).all()
        )
        index = ctx.resources.vectors
        embeddable = sources(rows)
        prepared = await index.prepare([source.text for source in embeddable])
        counts: dict[str, int] = {}
        if tender.status != HISTORY:
            pricer = await Pricer.load(ctx, index, tender)
            vectors = prepared.vectors.get(pricer.collection)
            if vectors is None:  # the active collection is always written; this is a guard
                vectors = await index.embed(pricer.collection, [s.text for s in embeddable])
            position = {source.source_id: i for i, source in enumerate(embeddable)}
            for row in rows:
                at = position.get(row.id)
                vector = None if at is None else vectors.row(at)
                found = await pricer.suggest(row, vector)
                _apply(row, found)
                counts[found.source] = counts.get(found.source, 0) + 1
        written = await index.stage(
            ctx.session,
            tender.tenant_id,
            SOURCE,
            [source.source_id for source in embeddable],
            [source.metadata for source in embeddable],
            prepared,
        )

        async def apply() -> None:
            await index.apply(written)

        ctx.after_commit.append(apply)
        return ItemOutcome(
            result={"items": len(rows), "embedded": len(embeddable), **counts},
            units=len(embeddable),
        )

    async def item_failed(
        self, ctx: JobContext, params: PriceParams, item: Item, reason: str
    ) -> None:
        rows = await ctx.session.scalars(
            select(TenderItem).where(
                TenderItem.tender_id == params.tender_id,
                TenderItem.tenant_id == ctx.tenant_id,
                TenderItem.id.in_(item.payload["ids"]),
            )
        )
        for row in rows:
            row.flagged, row.flag_reason = True, f"Preisfindung fehlgeschlagen: {reason}"[:1000]

    async def finish(self, ctx: JobContext, params: PriceParams) -> dict[str, object] | None:
        """Open the tender for review; the result counts its items by suggestion source."""
        tender = await ctx.session.get(Tender, params.tender_id)
        if tender is None or tender.tenant_id != ctx.tenant_id:
            return None
        if tender.status != HISTORY:
            tender.status = REVIEW
        counts = await ctx.session.execute(
            select(TenderItem.suggestion_source, TenderItem.flagged, func.count())
            .where(TenderItem.tender_id == tender.id)
            .group_by(TenderItem.suggestion_source, TenderItem.flagged)
        )
        sources: dict[str, int] = {}
        flagged = 0
        for source, is_flagged, count in counts.all():
            key = source or "imported"  # a priced bill's own items: no suggestion
            sources[key] = sources.get(key, 0) + count
            flagged += count if is_flagged else 0
        return {
            "tender_id": tender.id,
            "items": tender.item_count,
            "sources": sources,
            "flagged": flagged,
        }


def _apply(row: TenderItem, found: Suggestion) -> None:
    row.suggested_up, row.suggestion_source = found.up, found.source
    row.confidence, row.basis = found.confidence, found.basis
    row.flagged, row.flag_reason = found.flag_reason is not None, found.flag_reason


class Pricer:
    """Everything one batch needs to price its items: settings, catalog, the index."""

    def __init__(
        self,
        ctx: JobContext,
        index: VectorIndex,
        collection: Collection,
        tender: Tender,
        company: CompanySettings,
        catalog: list[CatalogMaterial],
        model: ModelPrices | None,
    ) -> None:
        self.ctx, self.index, self.collection = ctx, index, collection
        self.tender, self.company, self.catalog = tender, company, catalog
        self.model = model
        self.now = utcnow()

    @classmethod
    async def load(cls, ctx: JobContext, index: VectorIndex, tender: Tender) -> Pricer:
        company = await get_company_settings(ctx.session, tender.tenant_id)
        materials = await ctx.session.execute(
            select(Material.id, Material.name, Material.unit, Material.unit_price).where(
                Material.tenant_id == tender.tenant_id
            )
        )
        catalog = [CatalogMaterial(*row) for row in materials.all()]
        model = await ModelPrices.load(ctx.session, ctx.settings, company)
        return cls(ctx, index, await index.active(), tender, company, catalog, model)

    async def suggest(self, row: TenderItem, vector: Embeddings | None) -> Suggestion:
        frac = self.tender.up_frac_dig
        kind = gaeb.ItemKind(row.kind)
        if kind is gaeb.ItemKind.SURCHARGE:
            return suggest.no_basis("Zuschlagsposition: ein Prozentsatz, kein Einheitspreis")
        if vector is not None:
            matches = await self.history(row, vector)
            found = suggest.from_history(
                matches,
                qty=row.qty,
                lump_sum=kind is gaeb.ItemKind.LUMP_SUM or normalize_unit(row.unit) == "psch",
                now=self.now,
                min_similarity=self.ctx.settings.tender_history_min_similarity,
                index_per_year=self.ctx.settings.tender_price_index_per_year,
                frac_dig=frac,
            )
            if found is not None:
                return found
        if kind is gaeb.ItemKind.HOURLY or is_hourly_unit(row.unit):
            return suggest.hourly(self.company, frac, labour=kind is gaeb.ItemKind.HOURLY)
        material = suggest.match_material(
            f"{row.short_text}\n{row.long_text}", row.unit, self.catalog
        )
        if material is not None:
            return suggest.from_catalog(material, self.company, frac)
        estimate = None if self.model is None else self.model.suggest(row, frac)
        return estimate or suggest.no_basis()

    async def history(self, row: TenderItem, vector: Embeddings) -> list[PastPrice]:
        """The firm's priced items most like this one, same unit, other bills."""
        settings = self.ctx.settings
        wanted = settings.tender_history_matches
        where: dict[str, Condition] = {
            "source": SOURCE,
            "priced": True,
            "unit": normalize_unit(row.unit),
        }
        # A few more than wanted: items of this same bill are dropped after the search.
        hits = await self.index.search(
            self.collection, vector, SearchFilter(row.tenant_id, where), k=wanted + 5
        )
        scores = {
            int(hit.id.removeprefix(f"{SOURCE}:")): hit.score
            for hit in hits
            if hit.score >= settings.tender_history_min_similarity
            and hit.metadata.get("tender_id") != row.tender_id
        }
        if not scores:
            return []
        past = await self.ctx.session.scalars(
            select(TenderItem).where(
                TenderItem.tenant_id == row.tenant_id,
                TenderItem.id.in_(scores),
                TenderItem.final_up.is_not(None),
                TenderItem.tender_id != row.tender_id,
            )
        )
        found = [
            PastPrice(
                item_id=item.id,
                tender_id=item.tender_id,
                similarity=scores[item.id],
                up=item.final_up,
                qty=item.qty,
                priced_at=item.priced_at or self.now,
                oz=item.oz_dotted,
                short_text=item.short_text,
                overlap=suggest.word_overlap(item_text(row), item_text(item)),
            )
            for item in past
            if item.final_up is not None
        ]
        return sorted(found, key=lambda p: -p.weight)[:wanted]
