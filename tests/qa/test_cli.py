"""The `newsqa` CLI through click's CliRunner, with the hashing embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_build_info_ask(articles_dir: Path, tmp_path: Path) -> None:
    index = str(tmp_path / "idx")
    code, out, err = run("build", str(articles_dir), "--index", index, "--model", "hash")
    assert code == 0, err
    assert "added 3" in out
    code, out, _ = run("info", "--index", index, "--json")
    assert code == 0
    info = json.loads(out)
    assert info["articles"] == 3
    code, out, _ = run("ask", "How many residents were evacuated?", "--index", index)
    assert code == 0
    assert "3,000" in out and "Sources:" in out and "[1] Volcano erupts" in out
    code, out, _ = run("ask", "How many residents were evacuated?", "--index", index, "--json")
    assert json.loads(out)["citations"][0]["article_id"] == "volcano"


def test_build_again_embeds_nothing(articles_dir: Path, tmp_path: Path) -> None:
    index = str(tmp_path / "idx")
    run("build", str(articles_dir), "--index", index, "--model", "hash")
    code, out, _ = run("build", "--index", index, "--model", "hash")
    assert code == 0
    assert "unchanged 3" in out and "0 chunks embedded" in out


def test_index_from_environment(articles_dir: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSQA_INDEX", str(tmp_path / "env-idx"))
    assert run("build", str(articles_dir), "--model", "hash")[0] == 0
    assert (tmp_path / "env-idx" / "CURRENT").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "anything", "--index", "{missing}"], "no index at"),
        (["info", "--index", "{missing}"], "no index at"),
        (["ask", "", "--index", "{built}"], "empty"),
        (["ask", "bridge", "--index", "{built}", "--since", "soon"], "since must be a date"),
    ],
)
def test_errors_are_one_line(args: list[str], message: str, hash_index: Path,
                             tmp_path: Path) -> None:
    args = [a.format(missing=tmp_path / "nothing", built=hash_index) for a in args]
    code, _, err = run(*args)
    assert code == 1
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_eval_on_a_question_file(hash_index: Path, tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"q": "How many residents were evacuated from Kelua?", "answers": ["3,000"]}\n'
        '{"q": "Which team won the baseball championship?", "answers": [], "unanswerable": true}\n',
        encoding="utf-8")
    code, out, err = run("eval", str(questions), "--index", str(hash_index), "--mode", "hybrid",
                         "--json")
    assert code == 0, err
    metrics = json.loads(out)["metrics"]["hybrid"]
    assert metrics["top1"] == 1.0
    assert metrics["abstain_r"] == 1.0


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and "newsqa" in out
    for command in ["build", "add", "watch", "info", "ask", "chat", "eval"]:
        code, out, _ = run(command, "--help")
        assert code == 0 and "Example:" in out


@pytest.fixture
def built(articles_dir: Path, tmp_path: Path) -> str:
    index = str(tmp_path / "idx")
    assert run("build", str(articles_dir), "--index", index, "--model", "hash")[0] == 0
    return index


def test_ask_as_of_leaves_out_later_articles(built: str) -> None:
    question = "What did the city council approve?"
    code, out, _ = run("ask", question, "--index", built, "--as-of", "2025-11-01", "--json")
    assert code == 0
    assert "harbor-bridge" not in {h["chunk"]["article_id"] for h in json.loads(out)["hits"]}
    code, out, _ = run("ask", question, "--index", built, "--as-of", "none", "--json")
    assert json.loads(out)["citations"][0]["article_id"] == "harbor-bridge"


@pytest.mark.parametrize("bad", ["yesterday", "2026-02-30", "1/2/2026"])
def test_bad_as_of_is_one_line(built: str, bad: str) -> None:
    code, _, err = run("ask", "What happened?", "--index", built, "--as-of", bad)
    assert code == 2
    assert "--as-of" in err and bad in err and "Traceback" not in err


def test_ask_shows_the_short_answer_first(built: str) -> None:
    code, out, _ = run("ask", "How many workers did the flood kill?", "--index", built)
    assert code == 0
    assert out.splitlines()[0] == "Answer: 183"


def test_eval_as_of_field(built: str, tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"_id": "q1", "text": "What did the city council approve?",
                                     "answers": ["bridge"], "date": "2025/11/01",
                                     "gold_docs": ["harbor-bridge"]}) + "\n", encoding="utf-8")
    code, out, err = run("eval", str(questions), "--index", built, "--as-of-field", "date",
                         "--json", "--mode", "hybrid")
    assert code == 0, err
    report = json.loads(out)
    assert report["as_of_field"] == "date"
    assert report["metrics"]["hybrid"]["r@10"] == 0.0  # the gold article came later
    code, out, _ = run("eval", str(questions), "--index", built, "--json", "--mode", "hybrid")
    assert json.loads(out)["metrics"]["hybrid"]["r@1"] == 1.0
