"""The catalogue of the national store: datasets, their items, and derived dimensions.

The catalogue is data (``data/catalogue.toml``); this module reads and checks it and
answers look-ups. It is the only source of identifiers for the query engines: a name
reaches SQL only after it has been found here (security property 1).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast, get_args

from safepupil.domain.codesets import CODESET_FILES, SENSITIVITY_LEVELS, codeset
from safepupil.domain.local_authorities import local_authorities_on
from safepupil.errors import ConfigError, QueryError

ItemType = Literal["code", "date", "year_month", "integer", "decimal", "boolean", "token"]
DerivedKind = Literal["region", "country", "code_group", "age", "age_band"]
ITEM_TYPES: tuple[str, ...] = get_args(ItemType)
DERIVED_KINDS: tuple[str, ...] = get_args(DerivedKind)
IDENTIFIABILITY_LEVELS = (1, 2, 3, 4, 5)  # 1 = most identifying .. 5 = least
LA_CODESET = "local_authority"  # DfE LA numbers, from domain.local_authorities
# Items of these types may split a table into cells. Dates, decimals and year-months
# would give near pupil-level cells; their derived dimensions (age, age_band) are coarse.
DIMENSION_ITEM_TYPES = frozenset({"code", "boolean", "integer"})
NUMERIC_ITEM_TYPES = frozenset({"integer", "decimal"})
# Identifiers go into SQL (always quoted as well), so the catalogue admits only plain ones.
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
NEAR_MATCHES = 3


@dataclass(frozen=True)
class Item:
    name: str
    type: ItemType
    sensitivity: str  # A..E
    identifiability: int  # 1..5
    retention_years: int
    description: str
    codeset: str | None = None
    statistics_only: bool = False  # some values leave the LA only as protected aggregates

    def __post_init__(self) -> None:
        _check_identifier(self.name)
        if self.type not in ITEM_TYPES:
            raise ConfigError(f"item {self.name}: unknown type {self.type!r}")
        if self.sensitivity not in SENSITIVITY_LEVELS:
            raise ConfigError(f"item {self.name}: sensitivity must be one of A..E")
        if self.identifiability not in IDENTIFIABILITY_LEVELS:
            raise ConfigError(f"item {self.name}: identifiability must be 1..5")
        if self.retention_years < 1:
            raise ConfigError(f"item {self.name}: retention_years must be at least 1")
        if self.codeset is not None and self.type != "code":
            raise ConfigError(f"item {self.name}: only code items have a codeset")
        if self.codeset not in (None, LA_CODESET, *CODESET_FILES):
            raise ConfigError(f"item {self.name}: unknown codeset {self.codeset!r}")

    @property
    def is_queryable(self) -> bool:
        """Tokens link records inside the store; no query may name them."""
        return self.type != "token"


@dataclass(frozen=True)
class DerivedDimension:
    name: str
    kind: DerivedKind
    source: str  # the item it is computed from
    description: str
    attribute: str | None = None  # code_group: the codeset attribute
    on: dt.date | None = None  # age, age_band: the day the age is taken
    band_starts: tuple[int, ...] = ()  # age_band: lower bound of each band

    def __post_init__(self) -> None:
        _check_identifier(self.name)
        if self.kind not in DERIVED_KINDS:
            raise ConfigError(f"derived dimension {self.name}: unknown kind {self.kind!r}")
        if self.kind == "code_group" and not self.attribute:
            raise ConfigError(f"derived dimension {self.name}: a code_group needs an attribute")
        if self.kind in ("age", "age_band") and self.on is None:
            raise ConfigError(f"derived dimension {self.name}: an age needs the day 'on'")
        if self.kind == "age_band" and (
            not self.band_starts or list(self.band_starts) != sorted(set(self.band_starts))
        ):
            raise ConfigError(f"derived dimension {self.name}: band_starts must increase")


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    reference_date: dt.date  # census day: LA codes and code validity are taken on this day
    one_row_per_pupil: bool  # the store guarantees it; engines check it on every run
    items: tuple[Item, ...]
    derived: tuple[DerivedDimension, ...] = ()
    _by_name: Mapping[str, Item | DerivedDimension] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        _check_identifier(self.name)
        names = [i.name for i in self.items] + [d.name for d in self.derived]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(f"dataset {self.name}: names used twice: {duplicates}")
        tokens = [i for i in self.items if i.type == "token"]
        if [t.name for t in tokens] != ["pupil_token"]:
            raise ConfigError(f"dataset {self.name}: needs exactly one token item, pupil_token")
        by_name: dict[str, Item | DerivedDimension] = {i.name: i for i in self.items}
        by_name.update({d.name: d for d in self.derived})
        object.__setattr__(self, "_by_name", by_name)
        for derived in self.derived:
            _check_derived_source(self, derived)
        geography = [d for d in self.derived if d.kind in ("region", "country")]
        if len({d.source for d in geography}) > 1 or len({d.kind for d in geography}) < len(
            geography
        ):
            raise ConfigError(f"dataset {self.name}: one LA hierarchy, one region, one country")

    def __hash__(self) -> int:
        # Cheap, and consistent with equality: look-ups cached per dataset hash it often.
        return hash((self.name, self.reference_date))

    def item(self, name: str) -> Item:
        """The item called ``name``; a QueryError lists near matches when there is none."""
        found = self._by_name.get(name)
        if isinstance(found, Item):
            return found
        if isinstance(found, DerivedDimension):
            raise QueryError(
                f"{name!r} in dataset {self.name} is a derived dimension, not an item",
                hint=f"use it to group by; filter on its source item {found.source!r}",
            )
        raise _not_found("item", name, f"dataset {self.name}", [i.name for i in self.items])

    def dimension(self, name: str) -> Item | DerivedDimension:
        """What ``name`` means as a dimension: a groupable item or a derived dimension."""
        found = self._by_name.get(name)
        if found is None:
            raise _not_found("dimension", name, f"dataset {self.name}", self.dimension_names)
        if isinstance(found, Item) and found.type not in DIMENSION_ITEM_TYPES:
            raise QueryError(
                f"item {name!r} ({found.type}) cannot be a dimension of dataset {self.name}",
                hint="group by code, boolean or integer items, or by age or age_band",
            )
        return found

    @property
    def dimension_names(self) -> list[str]:
        groupable = [i.name for i in self.items if i.type in DIMENSION_ITEM_TYPES]
        return groupable + [d.name for d in self.derived]

    def source_items(self, dimension: str) -> frozenset[str]:
        """The items a dimension reads: itself, or the source of a derived dimension."""
        found = self.dimension(dimension)
        return frozenset({found.source if isinstance(found, DerivedDimension) else found.name})

    def allowed_codes(self, item_name: str) -> frozenset[str] | None:
        """Codes valid for a code item on the reference date; None for an open code."""
        chosen = self.item(item_name)
        if chosen.codeset is None:
            return None
        if chosen.codeset == LA_CODESET:
            return frozenset(la.code for la in local_authorities_on(self.reference_date))
        return codeset(chosen.codeset).valid_codes_on(self.reference_date)

    def age_source(self) -> str:
        """The year-month-of-birth item that ages are computed from."""
        for derived in self.derived:
            if derived.kind in ("age", "age_band"):
                return derived.source
        raise QueryError(f"dataset {self.name} has no date of birth to compute an age from")

    def geography_chain(self, dimension: str) -> tuple[str, ...]:
        """The levels from ``dimension`` up to England (la -> region -> england), or ()
        when the dimension is not part of the LA hierarchy."""
        levels: list[str] = []
        for kind in ("region", "country"):
            for derived in self.derived:
                if derived.kind == kind:
                    levels += [derived.source, derived.name] if not levels else [derived.name]
        return tuple(levels[levels.index(dimension) :]) if dimension in levels else ()


@dataclass(frozen=True)
class Catalogue:
    datasets: tuple[Dataset, ...]

    def __post_init__(self) -> None:
        names = [d.name for d in self.datasets]
        if len(names) != len(set(names)):
            raise ConfigError("the catalogue lists a dataset twice")

    def dataset(self, name: str) -> Dataset:
        for found in self.datasets:
            if found.name == name:
                return found
        raise _not_found("dataset", name, "the catalogue", [d.name for d in self.datasets])

    @property
    def dataset_names(self) -> list[str]:
        return [d.name for d in self.datasets]


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The catalogue in ``path``, or the one shipped with safepupil (read once)."""
    if path is None:
        return _shipped_catalogue()
    try:
        return catalogue_from_toml(path.read_text("utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read catalogue {path}: {error.strerror}") from None


@cache
def _shipped_catalogue() -> Catalogue:
    text = resources.files("safepupil.store").joinpath("data", "catalogue.toml").read_text("utf-8")
    return catalogue_from_toml(text)


def catalogue_from_toml(text: str) -> Catalogue:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"the catalogue is not valid TOML: {error}") from None
    if document.get("version") != 1:
        raise ConfigError("the catalogue must say version = 1")
    datasets = document.get("datasets", {})
    return Catalogue(tuple(_dataset(name, body) for name, body in datasets.items()))


def _dataset(name: str, body: dict[str, Any]) -> Dataset:
    try:
        default_retention = int(body["retention_years"])
        return Dataset(
            name=name,
            description=str(body["description"]),
            reference_date=dt.date.fromisoformat(str(body["reference_date"])),
            one_row_per_pupil=bool(body["one_row_per_pupil"]),
            items=tuple(_item(entry, default_retention) for entry in body["items"]),
            derived=tuple(_derived(entry) for entry in body.get("derived", [])),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError(f"catalogue dataset {name}: missing or bad entry {error}") from None


def _item(entry: dict[str, Any], default_retention: int) -> Item:
    return Item(
        name=str(entry["name"]),
        type=cast(ItemType, entry["type"]),
        sensitivity=str(entry["sensitivity"]),
        identifiability=int(entry["identifiability"]),
        retention_years=int(entry.get("retention_years", default_retention)),
        description=str(entry["description"]),
        codeset=entry.get("codeset"),
        statistics_only=bool(entry.get("statistics_only", False)),
    )


def _derived(entry: dict[str, Any]) -> DerivedDimension:
    on = entry.get("on")
    return DerivedDimension(
        name=str(entry["name"]),
        kind=cast(DerivedKind, entry["kind"]),
        source=str(entry["source"]),
        description=str(entry["description"]),
        attribute=entry.get("attribute"),
        on=dt.date.fromisoformat(str(on)) if on is not None else None,
        band_starts=tuple(int(b) for b in entry.get("band_starts", ())),
    )


_SOURCE_TYPES: dict[str, tuple[str, str | None]] = {
    "region": ("code", LA_CODESET),
    "country": ("code", LA_CODESET),
    "code_group": ("code", None),
    "age": ("year_month", None),
    "age_band": ("year_month", None),
}


def _check_derived_source(dataset: Dataset, derived: DerivedDimension) -> None:
    source = dataset._by_name.get(derived.source)
    wanted_type, wanted_codeset = _SOURCE_TYPES[derived.kind]
    if not isinstance(source, Item) or source.type != wanted_type:
        raise ConfigError(f"{dataset.name}.{derived.name}: source must be a {wanted_type} item")
    if wanted_codeset is not None and source.codeset != wanted_codeset:
        raise ConfigError(f"{dataset.name}.{derived.name}: source must use {wanted_codeset}")
    if derived.kind == "code_group":
        if source.codeset is None or source.codeset == LA_CODESET:
            raise ConfigError(f"{dataset.name}.{derived.name}: source needs a domain codeset")
        codes = codeset(source.codeset)
        if any(derived.attribute not in dict(code.extra) for code in codes):
            raise ConfigError(f"{dataset.name}.{derived.name}: codeset lacks the attribute")


def _check_identifier(name: str) -> None:
    if not IDENTIFIER.match(name):
        raise ConfigError(f"{name!r} is not a plain lower-case identifier")


def _not_found(kind: str, name: str, where: str, candidates: list[str]) -> QueryError:
    near = difflib.get_close_matches(name, candidates, n=NEAR_MATCHES)
    hint = f"did you mean {', '.join(near)}?" if near else f"known: {', '.join(candidates)}"
    return QueryError(f"no {kind} {name!r} in {where}", hint=hint)
