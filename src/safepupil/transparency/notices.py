"""Privacy notices per LA, in plain English and for children, as HTML and PDF.

The facts come from the catalogue (items, retention), the LA's "what leaves the LA"
manifest (``collection.manifest``, built from the same treatment table and
statistics-only policy the LA tool applies) and the public register (who used the data
and why); the words are Jinja2 templates in ``templates/notices/``. The PDF is made from
the same HTML (fpdf2's HTML renderer), so the two cannot say different things.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import jinja2
from fpdf import FPDF
from sqlalchemy.engine import Engine

from safepupil.collection.keys.atomic_file import atomic_write_bytes
from safepupil.collection.manifest import Manifest, build_manifest
from safepupil.collection.policy import StatisticsOnlyPolicy, default_policy
from safepupil.domain.codesets import codeset
from safepupil.domain.local_authorities import LocalAuthority, la_by_code
from safepupil.errors import NotFound
from safepupil.store.catalogue import Catalogue, load_catalogue
from safepupil.store.retention import expires_on
from safepupil.transparency.holdings import withheld_labels
from safepupil.transparency.register import LEGAL_BASIS_WORDS, build_register

Version = Literal["plain", "child"]
VERSIONS: tuple[Version, ...] = ("plain", "child")
NOTICE_DATASET = "ap_census_2018"  # the 2018 AP census: the return the manifest describes
PUBLIC_FILE_MODE = 0o644
_MAIN = re.compile(r"<main>(?P<body>.*)</main>", re.DOTALL)
_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("safepupil.transparency", "templates/notices"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class LeavingItem:
    item: str
    words: str  # the item in plain words
    leaves_as: str


@dataclass(frozen=True)
class NoticeUser:
    organisation: str
    title: str
    purpose: str
    public_benefit: str
    legal_basis: str
    releases: int


@dataclass(frozen=True)
class NoticeFacts:
    la_code: str
    la_name: str
    dataset: str
    census_day: dt.date
    leaves: tuple[LeavingItem, ...]
    stays: tuple[str, ...]  # items that never leave the LA, in words
    reason_labels: tuple[str, ...]  # every placement reason, in words
    statistics_only: str  # the withheld reasons, in words
    retention: tuple[tuple[int, dt.date, tuple[str, ...]], ...]  # (years, until, items)
    users: tuple[NoticeUser, ...]
    generated_on: dt.date

    def to_dict(self) -> dict[str, object]:
        return {
            "la": {"code": self.la_code, "name": self.la_name},
            "dataset": self.dataset,
            "census_day": self.census_day.isoformat(),
            "leaves": [item.__dict__ for item in self.leaves],
            "stays": list(self.stays),
            "placement_reasons": list(self.reason_labels),
            "statistics_only": self.statistics_only,
            "retention": [
                {"years": y, "until": u.isoformat(), "items": list(i)} for y, u, i in self.retention
            ],
            "users": [user.__dict__ for user in self.users],
            "generated_on": self.generated_on.isoformat(),
        }


def notice_facts(
    engine: Engine,
    la_code: str,
    *,
    catalogue: Catalogue | None = None,
    policy: StatisticsOnlyPolicy | None = None,
    on: dt.date | None = None,
) -> NoticeFacts:
    """Everything a notice for ``la_code`` says, read now."""
    chosen = catalogue or load_catalogue()
    dataset = chosen.dataset(NOTICE_DATASET)
    authority = _authority(la_code, dataset.reference_date)
    statistics = policy or default_policy()
    manifest = build_manifest(statistics)
    withheld = statistics.withheld_item("placement_reason")
    return NoticeFacts(
        la_code=authority.code,
        la_name=authority.name,
        dataset=dataset.name,
        census_day=dataset.reference_date,
        leaves=_leaving(manifest),
        stays=tuple(_words(i.item) for i in manifest.items if not i.leaves),
        reason_labels=tuple(code.label for code in codeset("placement_reason")),
        statistics_only="" if withheld is None else withheld_labels(withheld),
        retention=_retention(chosen),
        users=_users(engine, chosen),
        generated_on=on or dt.date.today(),
    )


def render_html(facts: NoticeFacts, version: Version) -> str:
    return _ENVIRONMENT.get_template(f"{version}.html.j2").render(
        facts=facts, bases=LEGAL_BASIS_WORDS
    )


def render_pdf(html: str) -> bytes:
    """The notice's body as a PDF with extractable text (core fonts: Latin-1 text)."""
    match = _MAIN.search(html)
    body = match.group("body") if match else html
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.write_html(_latin1(body))
    return bytes(pdf.output())


def write_notices(
    engine: Engine,
    la_code: str,
    folder: Path,
    *,
    catalogue: Catalogue | None = None,
    policy: StatisticsOnlyPolicy | None = None,
) -> tuple[Path, ...]:
    """Four files: the plain and the child version, each as HTML and PDF."""
    facts = notice_facts(engine, la_code, catalogue=catalogue, policy=policy)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for version in VERSIONS:
        html = render_html(facts, version)
        stem = f"privacy-notice-{facts.la_code}-{version}"
        for suffix, data in ((".html", html.encode("utf-8")), (".pdf", render_pdf(html))):
            path = folder / (stem + suffix)
            atomic_write_bytes(path, data, mode=PUBLIC_FILE_MODE)
            written.append(path)
    return tuple(written)


def _authority(la_code: str, day: dt.date) -> LocalAuthority:
    authority = la_by_code(la_code.strip(), day)
    if authority is None:
        raise NotFound(
            f"no LA {la_code!r} on {day}",
            hint="give the LA's three-digit DfE number as it was on census day, e.g. 201",
        )
    return authority


def _leaving(manifest: Manifest) -> tuple[LeavingItem, ...]:
    return tuple(
        LeavingItem(item.item, _words(item.item), item.leaves_as)
        for item in manifest.items
        if item.leaves
    )


def _retention(catalogue: Catalogue) -> tuple[tuple[int, dt.date, tuple[str, ...]], ...]:
    dataset = catalogue.dataset(NOTICE_DATASET)
    groups: dict[int, list[str]] = {}
    for item in dataset.items:
        if item.is_queryable and not item.name.endswith("_withheld"):
            groups.setdefault(item.retention_years, []).append(_words(item.name))
    return tuple(
        (
            years,
            expires_on(dataset, next(i for i in dataset.items if i.retention_years == years)),
            tuple(names),
        )
        for years, names in sorted(groups.items())
    )


def _users(engine: Engine, catalogue: Catalogue) -> tuple[NoticeUser, ...]:
    register = build_register(engine, catalogue=catalogue)
    return tuple(
        NoticeUser(
            organisation=p.organisation,
            title=p.title,
            purpose=p.purpose,
            public_benefit=p.public_benefit,
            legal_basis=p.legal_basis,
            releases=p.releases,
        )
        for p in register.projects
        if p.releases > 0
    )


ITEM_WORDS = {
    "upn": "unique pupil number (UPN)", "uln": "unique learner number", "dob": "date of birth",
    "la": "local authority", "return_la": "local authority",
    "placement_la": "placing local authority",
    "sen_provision": "special educational needs (SEN) support", "sen_type_1": "main type of SEN",
    "sen_type_2": "second type of SEN", "urn": "school or provider number (URN)",
    "ukprn": "provider number (UKPRN)", "ap_setting_type": "type of setting",
    "birth_year_month": "year and month of birth", "postcode_outward": "first half of postcode",
    "uprn": "property number (UPRN)", "record_no": "line number in the file",
}  # fmt: skip


def _words(item: str) -> str:
    return ITEM_WORDS.get(item, item.replace("_", " "))


_LATIN1 = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}


def _latin1(text: str) -> str:
    """The core PDF fonts cover Latin-1 only: typographic marks become plain ones."""
    text = "".join(_LATIN1.get(c, c) for c in text)
    text = unicodedata.normalize("NFKC", text)
    return text.encode("latin-1", "replace").decode("latin-1")
