"""Bad input anywhere gets a 4xx in FastAPI's {"detail": ...} shape, never a 500."""

from __future__ import annotations

import httpx

from tests.conftest import Headers


async def test_nan_and_infinity_in_a_body_give_422(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    for literal in (b"NaN", b"Infinity", b"-Infinity"):
        body = (
            b'{"name": "Treppe", "project_type": "Treppenbau", "total_area_sqm": ' + literal + b"}"
        )
        response = await client.post(
            "/api/v1/projects",
            content=body,
            headers=admin_headers | {"Content-Type": "application/json"},
        )
        assert response.status_code == 422, response.text
        fields = [error["loc"][-1] for error in response.json()["detail"]]
        assert "total_area_sqm" in fields


async def test_non_finite_numbers_deep_in_an_echoed_input_give_422(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    # A missing field echoes the whole body, so NaN nested in it must render too.
    cases: list[tuple[bytes, object]] = [
        (
            b'{"project_type": "Treppenbau", "total_area_sqm": NaN}',
            {"project_type": "Treppenbau", "total_area_sqm": "nan"},
        ),
        (b"[Infinity]", ["inf"]),
    ]
    for body, echoed in cases:
        response = await client.post(
            "/api/v1/projects",
            content=body,
            headers=admin_headers | {"Content-Type": "application/json"},
        )
        assert response.status_code == 422, body
        assert response.json()["detail"][0]["input"] == echoed


async def test_lone_surrogates_give_422_and_are_echoed_escaped(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    # JSON may spell a lone surrogate (\ud800); Python decodes it to a string that has
    # no UTF-8 form. Pydantic refuses it, and the 422 echoing it must still render.
    cases: list[tuple[bytes, list[str], object]] = [
        (
            b'{"name": "\\ud800", "project_type": "Treppenbau", "total_area_sqm": 1}',
            ["body", "name"],
            "\\ud800",
        ),
        (
            b'{"\\udc00": 1, "project_type": "Treppenbau", "total_area_sqm": 1}',
            ["body", "name"],
            {"\\udc00": 1, "project_type": "Treppenbau", "total_area_sqm": 1},
        ),
    ]
    for body, loc, echoed in cases:
        response = await client.post(
            "/api/v1/projects",
            content=body,
            headers=admin_headers | {"Content-Type": "application/json"},
        )
        assert response.status_code == 422, body
        [error] = response.json()["detail"]
        assert (error["loc"], error["input"]) == (loc, echoed)


async def test_ids_beyond_the_integer_column_give_422(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    for path in (f"/api/v1/projects/{2**63}", f"/api/v1/materials/{2**40}", "/api/v1/projects/0"):
        response = await client.get(path, headers=admin_headers)
        assert response.status_code == 422, path
    huge_skip = await client.get(f"/api/v1/projects?skip={2**63}", headers=admin_headers)
    assert huge_skip.status_code == 422


async def test_nul_characters_are_refused(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    response = await client.post(
        "/api/v1/materials",
        json={"name": "Eiche\x00", "category": "Holz", "unit_price": 10, "unit": "m²"},
        headers=admin_headers,
    )
    assert response.status_code == 422
    assert "NUL" in response.text


async def test_collection_paths_answer_with_and_without_trailing_slash(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    for path in (
        "/api/v1/projects",
        "/api/v1/projects/",
        "/api/v1/materials/",
        "/api/v1/settings/current/",
    ):
        response = await client.get(path, headers=admin_headers)
        assert response.status_code == 200, path
