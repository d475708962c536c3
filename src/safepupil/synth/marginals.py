"""How often each code occurs in the synthetic data, read from data/marginals.csv.

The codes themselves come from the domain codesets: a weight for a code the codeset does
not know is a configuration error, and codes not valid on census day are dropped, so the
clean output never carries an out-of-date code (SEN provision A/P in 2018, say).
Some codes are only plausible for some pupils (pregnancy for girls of 13 and over); a
pupil drawn such a code who does not qualify is drawn again from the unrestricted codes.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np

from safepupil.domain.codesets import codeset
from safepupil.errors import ConfigError, InternalError
from safepupil.synth.streams import pick, top_up_weights
from safepupil.synth.wordlists import read_text

MARGINALS_FILE = "marginals.csv"


@dataclass(frozen=True)
class CodeWeight:
    code: str
    weight: float
    only_sex: str | None = None  # the code is drawn only for pupils of this sex
    min_age: int | None = None  # ... and only for pupils at least this old on census day

    @property
    def restricted(self) -> bool:
        return self.only_sex is not None or self.min_age is not None


@dataclass(frozen=True)
class Marginal:
    """The distribution of one coded item in one population."""

    item: str  # a codeset name
    population: str
    weights: tuple[CodeWeight, ...]

    @property
    def codes(self) -> np.ndarray:
        return np.array([w.code for w in self.weights])

    def draw(
        self,
        rng: np.random.Generator,
        size: int,
        *,
        sex: np.ndarray | None = None,
        age: np.ndarray | None = None,
        alongside: np.ndarray | None = None,
    ) -> np.ndarray:
        """``size`` codes (numpy strings); restricted codes need ``sex`` and ``age``.

        ``alongside``: codes of pupils already in the population; the draw then tops
        them up so the whole population keeps this marginal as far as it can.
        """
        codes = self.codes
        weights = np.array([w.weight for w in self.weights])
        if alongside is not None:
            present = np.array([np.count_nonzero(alongside == code) for code in codes])
            weights = top_up_weights(weights, present, size)
        drawn = pick(rng, weights, size)
        barred = self._barred(drawn, sex, age)
        if barred.any():
            free = [i for i, w in enumerate(self.weights) if not w.restricted]
            free_weights = np.array([self.weights[i].weight for i in free])
            drawn[barred] = np.array(free)[pick(rng, free_weights, int(barred.sum()))]
        chosen: np.ndarray = codes[drawn]
        return chosen

    def _barred(
        self, drawn: np.ndarray, sex: np.ndarray | None, age: np.ndarray | None
    ) -> np.ndarray:
        barred = np.zeros(len(drawn), dtype=bool)
        for index, weight in enumerate(self.weights):
            if not weight.restricted:
                continue
            if (weight.only_sex and sex is None) or (weight.min_age and age is None):
                raise InternalError(f"{self.item} has restricted codes but no sex/age was given")
            chosen = drawn == index
            if weight.only_sex is not None and sex is not None:
                barred |= chosen & (sex != weight.only_sex)
            if weight.min_age is not None and age is not None:
                barred |= chosen & (age < weight.min_age)
        return barred


@dataclass(frozen=True)
class _Row:
    item: str
    population: str
    weight: CodeWeight


@cache
def _rows() -> tuple[_Row, ...]:
    rows = []
    for raw in csv.DictReader(read_text(MARGINALS_FILE).splitlines()):
        known = codeset(raw["item"])
        if raw["code"] not in known:
            raise ConfigError(
                f"{MARGINALS_FILE} weights code {raw['code']!r}, not in the {raw['item']} codeset",
                hint="correct the code or add it to the domain codeset",
            )
        weight = CodeWeight(
            code=raw["code"],
            weight=float(raw["weight"]),
            only_sex=raw["only_sex"] or None,
            min_age=int(raw["min_age"]) if raw["min_age"] else None,
        )
        rows.append(_Row(item=raw["item"], population=raw["population"], weight=weight))
    return tuple(rows)


def marginal(item: str, population: str, on: dt.date) -> Marginal:
    """The weights of ``item``'s codes valid on ``on`` for ``population`` ("ap", "school"...)."""
    known = codeset(item)
    weights = tuple(
        row.weight
        for row in _rows()
        if row.item == item
        and row.population == population
        and known.is_valid_on(row.weight.code, on)
        and row.weight.weight > 0
    )
    if not weights or all(w.restricted for w in weights):
        raise ConfigError(
            f"no {item} codes valid on {on.isoformat()} are weighted for population {population}",
            hint=f"add weights for {item} codes valid on that day to {MARGINALS_FILE}",
        )
    return Marginal(item=item, population=population, weights=weights)


def has_marginal(item: str, population: str) -> bool:
    return any(row.item == item and row.population == population for row in _rows())


def codes_restricted_by_sex(item: str) -> frozenset[str]:
    """Codes of ``item`` drawn only for one sex (so the sex of their pupils is left alone)."""
    return frozenset(r.weight.code for r in _rows() if r.item == item and r.weight.only_sex)
