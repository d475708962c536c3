"""Project applications and projects: validated value objects, and the items they ask for.

An application records what the project is for and why the public gains, its legal
basis, the organisation and its type, the catalogue items it asks for, and its dates.
The items are checked against the catalogue when the application is made, so a project
can only ever hold items that exist.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from safepupil.errors import UserError
from safepupil.governance.people import check_text
from safepupil.store.catalogue import Catalogue

MAX_STATEMENT_CHARS = 5_000  # purpose, public benefit: a few paragraphs
MAX_PROJECT_YEARS = 5  # a longer project applies again, with what it has learnt
MAX_ITEMS = 200


class OrganisationType(enum.Enum):
    ACADEMIC = "academic"
    GOVERNMENT = "government"
    CHARITY = "charity"
    COMMERCIAL = "commercial"
    JOURNALISM = "journalism"
    POLICE = "police"


class LegalBasis(enum.Enum):
    """The UK GDPR Article 6 basis the organisation relies on."""

    PUBLIC_TASK = "public-task"  # 6(1)(e): a task in the public interest
    LEGITIMATE_INTERESTS = "legitimate-interests"  # 6(1)(f)
    LEGAL_OBLIGATION = "legal-obligation"  # 6(1)(c)
    CONSENT = "consent"  # 6(1)(a)


class ProjectStatus(enum.Enum):
    PENDING = "pending"  # applied; waiting for approvals
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, order=True)
class RequestedItem:
    dataset: str
    item: str

    def __str__(self) -> str:
        return f"{self.dataset}.{self.item}"


@dataclass(frozen=True)
class ProjectApplication:
    title: str
    purpose: str
    public_benefit: str
    legal_basis: LegalBasis
    organisation: str
    organisation_type: OrganisationType
    items: frozenset[RequestedItem]
    start: dt.date
    end: dt.date  # last day, inclusive

    def __post_init__(self) -> None:
        check_text("title", self.title)
        check_text("purpose", self.purpose, MAX_STATEMENT_CHARS)
        check_text("public benefit", self.public_benefit, MAX_STATEMENT_CHARS)
        check_text("organisation", self.organisation)
        if not self.items:
            raise UserError("a project must ask for at least one item", hint="give --item")
        if len(self.items) > MAX_ITEMS:
            raise UserError(f"a project may ask for at most {MAX_ITEMS} items")
        if self.end < self.start:
            raise UserError(
                f"the project ends ({self.end}) before it starts ({self.start})",
                hint="check --start and --end",
            )
        if self.end >= self.start.replace(year=self.start.year + MAX_PROJECT_YEARS):
            raise UserError(
                f"a project may run at most {MAX_PROJECT_YEARS} years",
                hint="give an earlier --end; apply again to continue",
            )

    @property
    def datasets(self) -> tuple[str, ...]:
        return tuple(sorted({item.dataset for item in self.items}))

    def items_of(self, dataset: str) -> frozenset[str]:
        return frozenset(i.item for i in self.items if i.dataset == dataset)


@dataclass(frozen=True)
class Project:
    id: int
    application: ProjectApplication
    applicant_id: int
    members: frozenset[int]  # people who may query under it; the applicant among them
    status: ProjectStatus
    approvers: frozenset[int]  # who approved it so far
    rejection: tuple[int, str] | None  # who rejected it, and why
    applied_at: dt.datetime

    def __post_init__(self) -> None:
        if self.applicant_id not in self.members:
            raise UserError(f"project {self.id}: the applicant must be a member")
        if (self.status is ProjectStatus.REJECTED) != (self.rejection is not None):
            raise UserError(f"project {self.id}: a rejected project records who and why")


def resolve_items(
    catalogue: Catalogue, datasets: Iterable[str], items: Iterable[str]
) -> frozenset[RequestedItem]:
    """The items asked for: ``DATASET.ITEM``, or ``ITEM`` meaning that item in every
    dataset given. Unknown datasets and items are refused with near matches."""
    chosen = sorted(set(datasets))
    for name in chosen:
        catalogue.dataset(name)  # QueryError with near matches when unknown
    requested: set[RequestedItem] = set()
    for text in items:
        dataset, dot, item = text.strip().rpartition(".")
        if dot and not dataset:
            raise UserError(f"{text!r} is not an item name", hint="give ITEM or DATASET.ITEM")
        if not chosen and not dot:
            raise UserError(
                f"which dataset is {text!r} from?",
                hint="give --dataset NAME, or name the item as DATASET.ITEM",
            )
        for name in [dataset] if dot else chosen:
            requested.add(_requested(catalogue, name, item))
    return frozenset(requested)


def _requested(catalogue: Catalogue, dataset: str, item: str) -> RequestedItem:
    found = catalogue.dataset(dataset).item(item)  # QueryError with near matches
    if not found.is_queryable:
        raise UserError(
            f"{dataset}.{item} links records inside the store and cannot be asked for",
            hint="leave it out: queries never name it",
        )
    return RequestedItem(dataset=dataset, item=item)
