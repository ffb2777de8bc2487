"""Documents end to end: upload → ingestion job → hybrid search, with the real model,
the real extraction and the engine's own full-text index (FTS5 or PostgreSQL)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest

from handwerkml.auth.permissions import Role
from handwerkml.config import Settings
from handwerkml.db.models import Tenant
from tests.conftest import Headers, LoginAs, RunJobs
from tests.documents import factories

URL = "/api/v1/documents"

NOTES = (
    "Baustellennotiz Dachgeschoss\n\n"
    "Die Dämmung der Dachschräge wird mit Mineralwolle WLG 035 ausgeführt. "
    "Zwischensparrendämmung 200 mm, Dampfbremse raumseitig verklebt.\n\n"
    "Elektro: Leerrohre für Deckenleuchten vor dem Beplanken verlegen."
).encode()


def _files(*named: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, data, "application/octet-stream")) for name, data in named]


async def _upload(
    client: httpx.AsyncClient, headers: Headers, *named: tuple[str, bytes], **form: Any
) -> httpx.Response:
    return await client.post(URL, files=_files(*named), data=form, headers=headers)


async def _search(client: httpx.AsyncClient, headers: Headers, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{URL}/search", json=body, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
async def documents(
    client: httpx.AsyncClient, admin_headers: Headers, run_jobs: RunJobs
) -> dict[str, int]:
    response = await _upload(
        client,
        admin_headers,
        ("rechnung.pdf", factories.german_pdf(3)),
        ("angebot.docx", factories.docx_document()),
        ("notiz.txt", NOTES),
        tags="bad",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["job"]["kind"] == "documents.ingest"
    assert [d["status"] for d in body["documents"]] == ["pending"] * 3
    await run_jobs()
    return {d["filename"]: d["id"] for d in body["documents"]}


async def test_uploaded_documents_are_ingested_with_pages_and_chunks(
    client: httpx.AsyncClient, admin_headers: Headers, documents: dict[str, int]
) -> None:
    listed = await client.get(URL, params={"status": "completed"}, headers=admin_headers)
    assert listed.headers["x-total-count"] == "3"
    by_name = {d["filename"]: d for d in listed.json()}
    assert by_name["rechnung.pdf"]["file_type"] == "pdf"
    assert by_name["rechnung.pdf"]["page_count"] == 3
    assert by_name["angebot.docx"]["file_type"] == "docx"
    assert by_name["notiz.txt"]["file_type"] == "text"
    assert all(d["chunk_count"] >= 1 and d["tags"] == ["bad"] for d in by_name.values())
    content = await client.get(f"{URL}/{documents['notiz.txt']}/content", headers=admin_headers)
    assert content.content == NOTES
    assert "attachment" in content.headers["content-disposition"]


async def test_german_queries_find_the_right_chunk_first(
    client: httpx.AsyncClient, admin_headers: Headers, documents: dict[str, int]
) -> None:
    cases = {
        "Zwischensparrendämmung Dachschräge": "notiz.txt",
        "Fliesenkleber C2TE Menge": "angebot.docx",
        "Rechnung Fliesenarbeiten Familie Müller": "rechnung.pdf",
    }
    for (query, filename), mode in itertools.product(
        cases.items(), ("hybrid", "semantic", "keyword")
    ):
        result = await _search(client, admin_headers, query=query, mode=mode)
        assert result["results"], (mode, query)
        assert result["results"][0]["filename"] == filename, (mode, query, result["results"][0])


async def test_umlauts_and_compounds_match_in_keyword_search(
    client: httpx.AsyncClient, admin_headers: Headers, documents: dict[str, int]
) -> None:
    spelled = await _search(client, admin_headers, query="Daemmung", mode="keyword")
    assert spelled["results"], spelled
    assert "<mark>" in spelled["results"][0]["highlight"]
    part = await _search(client, admin_headers, query="Kleber", mode="keyword")
    assert "angebot.docx" in [hit["filename"] for hit in part["results"]]
    hit = part["results"][0]
    assert {"id", "filename", "file_type", "status", "searchable_text"} <= set(hit)
    assert hit["page"] >= 1


async def test_keyword_search_falls_back_to_any_word(
    client: httpx.AsyncClient, admin_headers: Headers, documents: dict[str, int]
) -> None:
    # No chunk holds both words: all words find nothing, so any word answers.
    result = await _search(
        client, admin_headers, query="Zwischensparrendämmung Zahlungsbedingungen", mode="keyword"
    )
    assert {"notiz.txt", "angebot.docx"} <= {hit["filename"] for hit in result["results"]}


async def test_filters_and_seed_paging(
    client: httpx.AsyncClient, admin_headers: Headers, documents: dict[str, int]
) -> None:
    only_pdf = await _search(
        client, admin_headers, query="Dämmung", filters={"file_type": "pdf"}, top_k=20
    )
    assert {hit["file_type"] for hit in only_pdf["results"]} == {"pdf"}
    untagged = await _search(client, admin_headers, query="Dämmung", filters={"tags": ["x"]})
    assert untagged["results"] == []
    first = await _search(client, admin_headers, query="Dämmung", skip=0, limit=1)
    second = await _search(client, admin_headers, query="Dämmung", skip=1, limit=1)
    assert first["total_count"] == second["total_count"] == 1
    assert first["results"][0]["chunk_id"] != second["results"][0]["chunk_id"]


async def test_seed_upload_endpoint_answers_with_the_pending_document(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    response = await client.post(
        f"{URL}/upload",
        files={"file": ("notiz.md", b"# Aufmass\n\nWohnzimmer 24,5 m2", "text/markdown")},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert body["file_type"] == "markdown"
    assert {"id", "filename", "file_type", "status", "created_at"} <= set(body)


@pytest.mark.parametrize(
    ("named", "status", "message"),
    [
        (("leer.pdf", b""), 422, "empty"),
        (("programm.pdf", b"\x7fELF\x02\x01\x01" + bytes(200)), 415, "programm.pdf"),
    ],
)
async def test_bad_uploads_are_refused_with_a_reason(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    named: tuple[str, bytes],
    status: int,
    message: str,
) -> None:
    response = await _upload(client, admin_headers, named)
    assert response.status_code == status, response.text
    assert message in response.text


async def test_an_upload_over_the_limit_gets_413(
    client: httpx.AsyncClient, admin_headers: Headers, settings: Settings
) -> None:
    settings.document_max_bytes = 1000
    response = await _upload(client, admin_headers, ("gross.txt", b"x" * 1001))
    assert response.status_code == 413
    assert "limit" in response.text


async def test_unreadable_files_fail_their_item_and_the_rest_completes(
    client: httpx.AsyncClient, admin_headers: Headers, run_jobs: RunJobs
) -> None:
    response = await _upload(
        client,
        admin_headers,
        ("geschuetzt.pdf", factories.encrypted_pdf()),
        ("bombe.docx", factories.zip_bomb_docx()),
        ("leer.png", factories.blank_png()),
        ("notiz.txt", NOTES),
    )
    assert response.status_code == 201, response.text
    job_id = response.json()["job"]["id"]
    await run_jobs()
    listed = {d["filename"]: d for d in (await client.get(URL, headers=admin_headers)).json()}
    assert listed["notiz.txt"]["status"] == "completed"
    for name in ("geschuetzt.pdf", "bombe.docx", "leer.png"):
        assert listed[name]["status"] == "failed", listed[name]
        assert listed[name]["error"], listed[name]
    items = await client.get(
        f"/api/v1/jobs/{job_id}/items", params={"status": "failed"}, headers=admin_headers
    )
    assert len(items.json()) == 3
    assert all(item["attempts"] == 1 and item["last_error"] for item in items.json())


async def test_deleting_a_document_removes_it_from_search(
    client: httpx.AsyncClient, admin_headers: Headers, documents: dict[str, int], run_jobs: RunJobs
) -> None:
    notes = documents["notiz.txt"]
    deleted = await client.delete(f"{URL}/{notes}", headers=admin_headers)
    assert deleted.status_code == 204
    await run_jobs()
    for mode in ("semantic", "keyword"):
        result = await _search(client, admin_headers, query="Zwischensparrendämmung", mode=mode)
        assert notes not in [hit["id"] for hit in result["results"]]
    assert (await client.get(f"{URL}/{notes}", headers=admin_headers)).status_code == 404
    stats = (await client.get("/api/v1/similarity/stats", headers=admin_headers)).json()
    assert stats["pending"] == 0


async def test_other_tenants_documents_are_never_found(
    client: httpx.AsyncClient,
    login_as: LoginAs,
    other_tenant: Tenant,
    documents: dict[str, int],
) -> None:
    theirs = await login_as(Role.admin, tenant_=other_tenant)
    for mode in ("semantic", "keyword", "hybrid"):
        result = await _search(client, theirs, query="Dämmung Fliesenkleber", mode=mode)
        assert result["results"] == []
    missing = await client.get(f"{URL}/{documents['notiz.txt']}/content", headers=theirs)
    assert missing.status_code == 404


async def test_folder_runs_skip_unchanged_files_and_remove_missing_ones(
    client: httpx.AsyncClient,
    admin_headers: Headers,
    settings: Settings,
    tmp_path: Path,
    run_jobs: RunJobs,
) -> None:
    folder = tmp_path / "ablage"
    (folder / "2024").mkdir(parents=True)
    (folder / "2024" / "rechnung.pdf").write_bytes(factories.german_pdf(2))
    (folder / "notiz.txt").write_bytes(NOTES)
    (folder / "bild.jpg").write_bytes(b"ignored by the pattern")
    settings.ingest_roots = [tmp_path]

    async def run() -> dict[str, Any]:
        response = await client.post(
            f"{URL}/folders",
            json={"path": str(folder), "include": ["*.pdf", "*.txt"]},
            headers=admin_headers,
        )
        assert response.status_code == 202, response.text
        await run_jobs()
        job = await client.get(f"/api/v1/jobs/{response.json()['id']}", headers=admin_headers)
        assert job.json()["status"] == "succeeded", job.text
        items = await client.get(
            f"/api/v1/jobs/{response.json()['id']}/items", headers=admin_headers
        )
        return {item["label"]: item["result"] for item in items.json()}

    first = await run()
    assert set(first) == {"2024/rechnung.pdf", "notiz.txt", "remove missing"}
    embedded = _model_misses(await client.get("/metrics"))

    again = await run()
    assert again["notiz.txt"] == {"unchanged": True}
    assert again["2024/rechnung.pdf"] == {"unchanged": True}
    assert _model_misses(await client.get("/metrics")) == embedded  # nothing embedded

    (folder / "notiz.txt").write_bytes(NOTES + b"\n\nNachtrag: Fensterbank aus Eiche.")
    (folder / "2024" / "rechnung.pdf").unlink()
    changed = await run()
    assert changed["notiz.txt"]["changed"] is True
    assert changed["remove missing"] == {"removed": 1}
    listed = (await client.get(URL, headers=admin_headers)).json()
    assert [d["filename"] for d in listed] == ["notiz.txt"]
    # Only the new chunk text reached the model: the rest came from the cache.
    assert _model_misses(await client.get("/metrics")) - embedded <= 2


def _model_misses(metrics: httpx.Response) -> float:
    total = 0.0
    for line in metrics.text.splitlines():
        if line.startswith("handwerkml_embedding_cache_total{") and 'source="model"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.mark.parametrize("path", ["/etc", "../../etc", "/"])
async def test_folders_outside_the_roots_are_refused(
    client: httpx.AsyncClient, admin_headers: Headers, settings: Settings, tmp_path: Path, path: str
) -> None:
    settings.ingest_roots = [tmp_path]
    response = await client.post(f"{URL}/folders", json={"path": path}, headers=admin_headers)
    assert response.status_code == 422
    assert "outside the ingestion roots" in response.text
