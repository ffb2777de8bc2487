"""`handwerkml gaeb inspect FILE`: what the GAEB reader sees in a file, without storing it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from handwerkml.cli._output import fail
from handwerkml.gaeb import GaebError, Item, Tender, read

app = typer.Typer(help="Read GAEB bills of quantities (X8x, P8x, D8x).", no_args_is_help=True)


@app.command()
def inspect(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A GAEB file")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """Print format, version, phase, project, currency and every item of a GAEB file."""
    try:
        tender = read(file.read_bytes(), file.name)
    except GaebError as error:
        fail(f"{file}: {error}")
    if as_json:
        typer.echo(json.dumps(summary(tender), ensure_ascii=False, indent=2))
    else:
        typer.echo(table(tender))


def summary(tender: Tender) -> dict[str, Any]:
    """The file as JSON-ready data; amounts are strings so that no digit is lost."""
    return {
        "format": tender.format.value,
        "version": tender.version,
        "phase": tender.phase,
        "project": {"name": tender.project.name, "label": tender.project.label},
        "client": tender.client.name if tender.client else None,
        "currency": tender.currency,
        "boq": {
            "label": tender.boq.label,
            "categories": sum(1 for _ in tender.boq.iter_categories()),
            "up_frac_dig": tender.boq.up_frac_dig,
            "total": _amount(tender.boq.total),
        },
        "items": [_item(item) for item in tender.boq.iter_items()],
    }


def _item(item: Item) -> dict[str, Any]:
    return {
        "oz": item.oz_dotted,
        "short_text": item.short_text,
        "qty": _amount(item.qty),
        "unit": item.unit,
        "kind": item.kind.value,
        "up": _amount(item.up),
        "it": _amount(item.it),
    }


def table(tender: Tender) -> str:
    project = " – ".join(p for p in (tender.project.name, tender.project.label) if p)
    lines = [
        f"{tender.format.value} {tender.version}, phase {tender.phase}, {tender.currency}",
        f"project: {project or '-'}",
        f"bill: {tender.boq.label or '-'}",
        "",
        f"{'OZ':<16} {'qty':>12} {'unit':<6} {'kind':<11} {'UP':>12} {'IT':>14}  short text",
    ]
    for item in tender.boq.iter_items():
        lines.append(
            f"{item.oz_dotted:<16} {_amount(item.qty) or '':>12} {item.unit:<6} "
            f"{item.kind.value:<11} {_amount(item.up) or '':>12} {_amount(item.it) or '':>14}  "
            f"{item.short_text[:60]}"
        )
    return "\n".join(lines)


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"
