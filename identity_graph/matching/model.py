"""The trained match model: settings, m/u per level, prior, provenance. Versioned JSON.

`format_version` is the JSON schema version (bumped on incompatible changes; `load` refuses
unknown ones). `version` identifies one trained model, e.g. to record which model scored a
link in the graph.

Keys added to format 1 later, all optional with defaults that mean "as before", so older
files load and score unchanged: `settings.training_rules`, per comparison spec `fields`,
`u_given` and `fallback_for`, `comparisons[].conditional`, `training.sessions`. (Code older
than them cannot read a model that uses them.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from identity_graph.matching.fellegi_sunter import (
    FloatArray,
    log2_bayes_factors,
    prior_log2_odds,
)
from identity_graph.matching.settings import MatchSettings

FORMAT: Literal["identity-graph/match-model"] = "identity-graph/match-model"
FORMAT_VERSION = 1


class LevelParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    m: float | None  # None for the null level: it has no m/u, its Bayes factor is 1
    u: float | None
    log2_bayes_factor: float


class ConditionalParameters(BaseModel):
    """A comparison's levels where comparison `given` agrees exactly (`u_given`): same m,
    the u of non-matches that agree there, and the Bayes factors that follow."""

    model_config = ConfigDict(frozen=True)

    given: str
    levels: tuple[LevelParameters, ...]


class ComparisonParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    field: str
    kind: str
    levels: tuple[LevelParameters, ...]
    conditional: ConditionalParameters | None = None


class TermFrequencies(BaseModel):
    """Value frequencies of a term-frequency-adjusted comparison, from the training data.

    Only values seen at least twice are stored; any other value counts as seen once
    (`default`), which keeps the JSON small on millions of records.
    """

    model_config = ConfigDict(frozen=True)

    values: dict[str, float]
    default: float = Field(gt=0, le=1)

    def frequency(self, value: str) -> float:
        return self.values.get(value, self.default)


class TrainingStats(BaseModel):
    model_config = ConfigDict(frozen=True)

    records: int
    total_pairs: float  # all pairs the link type allows (n(n-1)/2 for dedupe)
    candidate_pairs: int
    distinct_patterns: int
    u_sample_pairs: int
    em_iterations: int
    em_converged: bool
    expected_matches: float  # sum of EM match posteriors over candidate pairs
    labelled_pairs: int = 0
    seconds: float = 0.0
    blocking: dict[str, Any] = Field(default_factory=dict)
    # One entry per EM training session (rule, pairs, expected matches, comparisons it
    # estimated); empty for models trained by one EM over all candidates.
    sessions: list[dict[str, Any]] = Field(default_factory=list)
    # The EM fits in order (the last one is the model), and how much its parameters still
    # moved in its last iteration.
    em_stages: list[dict[str, Any]] = Field(default_factory=list)
    em_last_change: float = 0.0
    # Plain-words notes on what in the fit deserves suspicion (see training_warnings).
    warnings: list[str] = Field(default_factory=list)


class MatchModel(BaseModel):
    """Immutable trained model; `save`/`load` for JSON, `describe` for people."""

    model_config = ConfigDict(frozen=True)

    format: Literal["identity-graph/match-model"] = FORMAT
    format_version: int = FORMAT_VERSION
    version: str
    trained_at: dt.datetime
    settings: MatchSettings
    prior: float = Field(gt=0, lt=1)  # lambda: P(two random records match)
    comparisons: tuple[ComparisonParameters, ...]
    training: TrainingStats
    # Keyed by comparison name, for comparisons with term_frequency=True.
    term_frequencies: dict[str, TermFrequencies] = Field(default_factory=dict)
    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_parameters(
        cls,
        settings: MatchSettings,
        m: list[FloatArray],
        u: list[FloatArray],
        prior: float,
        training: TrainingStats,
        trained_at: dt.datetime | None = None,
        term_frequencies: dict[str, TermFrequencies] | None = None,
        u_conditional: dict[int, FloatArray] | None = None,
    ) -> MatchModel:
        """`u_conditional`: by comparison index, u where its `u_given` comparison agrees."""

        def levels_of(
            labels: list[str], mk: FloatArray, uk: FloatArray
        ) -> tuple[LevelParameters, ...]:
            (bk,) = log2_bayes_factors([mk], [uk])
            return tuple(
                LevelParameters(
                    label=label,
                    m=None if lvl == 0 else float(mk[lvl]),
                    u=None if lvl == 0 else float(uk[lvl]),
                    log2_bayes_factor=float(bk[lvl]),
                )
                for lvl, label in enumerate(labels)
            )

        conditional = u_conditional or {}
        comps = []
        for k, (spec, mk, uk) in enumerate(zip(settings.comparisons, m, u, strict=True)):
            cond = None
            if spec.u_given is not None and k in conditional:
                cond = ConditionalParameters(
                    given=spec.u_given, levels=levels_of(spec.level_labels, mk, conditional[k])
                )
            comps.append(
                ComparisonParameters(
                    name=spec.label,
                    field=spec.field,
                    kind=spec.kind,
                    levels=levels_of(spec.level_labels, mk, uk),
                    conditional=cond,
                )
            )
        when = trained_at or dt.datetime.now(dt.UTC)
        digest = hashlib.sha256(
            json.dumps([prior, [c.model_dump() for c in comps]], sort_keys=True).encode()
        ).hexdigest()[:8]
        return cls(
            version=f"{when:%Y%m%dT%H%M%SZ}-{digest}",
            trained_at=when,
            settings=settings,
            prior=prior,
            comparisons=tuple(comps),
            training=training,
            term_frequencies=term_frequencies or {},
        )

    # -- parameters as arrays (what scoring uses) --------------------------------------------

    @cached_property
    def bayes_factor_tables(self) -> list[FloatArray]:
        """Per comparison, log2 Bayes factor per level index."""
        return [np.array([lv.log2_bayes_factor for lv in c.levels]) for c in self.comparisons]

    @cached_property
    def conditional_tables(self) -> list[tuple[int, int, FloatArray]]:
        """(k, j, delta): where comparison j agrees exactly, comparison k's log2 Bayes factor
        per level is its table's plus `delta` (conditional u, see `u_given`)."""
        names = self.comparison_names
        out = []
        for k, c in enumerate(self.comparisons):
            if c.conditional is not None:
                cond = np.array([lv.log2_bayes_factor for lv in c.conditional.levels])
                out.append(
                    (k, names.index(c.conditional.given), cond - self.bayes_factor_tables[k])
                )
        return out

    def m_probabilities(self) -> list[FloatArray]:
        return [np.array([lv.m or 0.0 for lv in c.levels]) for c in self.comparisons]

    def u_probabilities(self) -> list[FloatArray]:
        return [np.array([lv.u or 0.0 for lv in c.levels]) for c in self.comparisons]

    @property
    def comparison_names(self) -> list[str]:
        return [c.name for c in self.comparisons]

    def prior_for(self, population: int | None = None) -> float:
        """Prior for scoring within `population` records (dedupe).

        lambda is P(two random records match); with a stable number of duplicates per
        person it falls like 1/(n-1) as the population grows, so a model trained on a
        sample and applied to the whole store must rescale it, or it would be
        over-confident by the ratio of the sizes.
        """
        if population is None or self.settings.link_type == "link":
            return self.prior
        n_train = self.training.records
        if population <= 1 or n_train <= 1:
            return self.prior
        return float(min(self.prior * (n_train - 1) / (population - 1), 0.5))

    def prior_weight(self, population: int | None = None) -> float:
        return prior_log2_odds(self.prior_for(population))

    # -- persistence ----------------------------------------------------------------------

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> MatchModel:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"not a match model (format={data.get('format')!r})")
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"match model format_version {data.get('format_version')} is not supported "
                f"(this code reads {FORMAT_VERSION}); retrain or upgrade"
            )
        return cls.model_validate(data)

    def save(self, path: str | Path) -> Path:
        p = Path(path)
        p.write_text(self.to_json(), encoding="utf-8")
        return p

    @classmethod
    def load(cls, path: str | Path) -> MatchModel:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))

    # -- people ---------------------------------------------------------------------------

    def describe(self) -> str:
        """Plain-text summary for `identity-graph model show`."""
        t = self.training
        lines = [
            f"Match model {self.version}",
            f"  trained {self.trained_at:%Y-%m-%d %H:%M:%S %Z} on {t.records:,} records "
            f"({self.settings.link_type}), {t.candidate_pairs:,} candidate pairs, "
            f"{t.seconds:.2f}s",
            f"  prior P(two random records match) = {self.prior:.3g} "
            f"(match weight {prior_log2_odds(self.prior):+.2f}); "
            f"EM {t.em_iterations} iterations, "
            f"{'converged' if t.em_converged else 'NOT converged'}; "
            f"~{t.expected_matches:,.0f} matching pairs expected",
        ]
        if t.labelled_pairs:
            lines.append(f"  refined with {t.labelled_pairs:,} labelled pairs")
        if t.warnings:
            lines.append("  WARNINGS:")
            lines.extend(f"    ! {w}" for w in t.warnings)
        else:
            lines.append("  no warnings: EM converged, weights monotone, enough matches")
        if t.em_stages:
            stages = [
                f"{x['stage']} ({x['iterations']} it"
                + ("" if x["converged"] else ", NOT converged")
                + ")"
                for x in t.em_stages
            ]
            lines.append("  EM stages: " + "; ".join(stages))
        if t.sessions:
            lines.append("  starting m from EM training sessions (pooled):")
            lines.extend(
                f"    - {x['rule']}: {x['candidate_pairs']:,} pairs, "
                f"~{x['expected_matches']:,.0f} matches; m of {', '.join(x['estimated'])}"
                for x in t.sessions
            )
        lines.append("  blocking rules:")
        lines.extend(f"    - {r}" for r in self.settings.blocking_rules)
        lines.append("  comparisons (level: m, u, log2 Bayes factor):")
        for c in self.comparisons:
            tf = self.term_frequencies.get(c.name)
            note = (
                f", exact level adjusted by term frequency ({len(tf.values):,} values)"
                if tf
                else ""
            )
            lines.append(f"    {c.name} [{c.kind} on {c.field}{note}]")
            for lv in c.levels:
                if lv.m is None:
                    lines.append(f"      {lv.label:<28} (missing: Bayes factor 1, weight 0)")
                else:
                    lines.append(
                        f"      {lv.label:<28} m={lv.m:<9.4g} u={lv.u:<9.3g} "
                        f"{lv.log2_bayes_factor:+7.2f}"
                    )
            if c.conditional is not None:
                lines.append(
                    f"      where {c.conditional.given} is exact (u among such non-matches, "
                    "no term-frequency adjustment):"
                )
                lines.extend(
                    f"        {lv.label:<26} m={lv.m:<9.4g} u={lv.u:<9.3g} "
                    f"{lv.log2_bayes_factor:+7.2f}"
                    for lv in c.conditional.levels
                    if lv.m is not None
                )
        return "\n".join(lines)
