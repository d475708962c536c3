"""Privacy notices: both versions name the 2018 items and say which leave only as
statistics; the child version is short and plain; the PDFs carry the same words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from pyroaring import FrozenBitMap
from typer.testing import CliRunner

from safepupil.cli.main import app
from safepupil.errors import NotFound
from safepupil.transparency.notices import notice_facts, render_html
from tests.transparency.conftest import World, store_with_event

# Words a child (or many adults) would not know; the child version uses none of them.
JARGON = (
    "pseudonym", "gdpr", "statutory", "processing", "aggregate", "disclosure", "retention",
    "controller", "legal basis", "census", "token", "anonymis", "suppress", "special category",
    "data protection", "manifest", "article", "upn", "local authority", "sensitivity",
)  # fmt: skip
MAX_AVERAGE_WORDS = 10  # words per sentence, on average, in the child version
MAX_SENTENCE_WORDS = 16  # and in its longest sentence
KEY_SENTENCES = {
    "plain": ("leave the local authority only as statistics", "young offender", "pregnancy"),
    "child": ("They leave only as statistics.", "young offender", "pregnant"),
}


def _text(html: str) -> str:
    body = re.search(r"<main>(.*)</main>", html, re.DOTALL)
    assert body is not None
    return " ".join(re.sub(r"<[^>]+>", " ", body.group(1)).split())


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?:])\s+", text) if s.strip()]


@pytest.fixture(scope="module")
def notices(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("notices")
    result = CliRunner().invoke(
        app, ["notice", "--home", str(world.deployment.home), "--la", "201", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


def test_four_files_are_written(notices: Path) -> None:
    assert sorted(p.name for p in notices.iterdir()) == [
        "privacy-notice-201-child.html", "privacy-notice-201-child.pdf",
        "privacy-notice-201-plain.html", "privacy-notice-201-plain.pdf",
    ]  # fmt: skip


@pytest.mark.parametrize("version", ["plain", "child"])
def test_both_versions_name_the_sensitive_reasons(notices: Path, version: str) -> None:
    text = _text((notices / f"privacy-notice-201-{version}.html").read_text("utf-8")).lower()
    for words in ("pregnan", "mental health", "young offender", "only as statistics"):
        assert words in text
    for words in ("see it" if version == "child" else "see", "correct" if version == "plain"
                  else "fix it", "object" if version == "plain" else "say no"):  # fmt: skip
        assert words.lower() in text


@pytest.mark.parametrize("version", ["plain", "child"])
def test_the_pdf_carries_the_key_sentences(notices: Path, version: str) -> None:
    reader = PdfReader(notices / f"privacy-notice-201-{version}.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for sentence in KEY_SENTENCES[version]:
        assert sentence in text


def test_the_child_version_is_short_and_plain(notices: Path) -> None:
    text = _text((notices / "privacy-notice-201-child.html").read_text("utf-8"))
    lengths = [len(s.split()) for s in _sentences(text)]
    assert sum(lengths) / len(lengths) <= MAX_AVERAGE_WORDS
    assert max(lengths) <= MAX_SENTENCE_WORDS
    lowered = text.lower()
    assert [word for word in JARGON if word in lowered] == []


def test_the_plain_version_names_who_used_the_data(world: World) -> None:
    cells = (FrozenBitMap(world.other_pupil_ids[:30]),)
    store_with_event(world.deployment, world.project_id, world.cast.applicant.id, cells)
    engine = world.deployment.control_engine()
    facts = notice_facts(engine, "201")
    engine.dispose()
    html = render_html(facts, "plain")
    assert facts.users
    assert "University of Somewhere" in html
    assert "Pregnancy or young parent" in html


def test_an_unknown_la_is_refused(world: World) -> None:
    engine = world.deployment.control_engine()
    with pytest.raises(NotFound, match="no LA '999'"):
        notice_facts(engine, "999")
    engine.dispose()
