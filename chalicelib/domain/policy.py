"""Policy profiles: which clocks run for which kind of case, how long, how they count, which
workflow steps they guard, whether they pause, how far they may be extended, and who is escalated to.

A profile is data (`chalicelib/policies/<name>.json`), chosen per deployment (`POLICY_PROFILE`),
with per-category overrides inside it — so a 12315 centre, a bank and an airline run the same code
with different files, and adding a profile is adding a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from chalicelib.domain.case import Kind
from chalicelib.domain.deadlines import Basis, ClockRule

PROFILE_DIR = Path(__file__).resolve().parent.parent / "policies"
SEVERITIES = ("major", "general", "minor")


def _rule(spec: dict[str, Any], severity: str | None) -> ClockRule:
    if "by_severity" in spec:
        spec = {**spec, **spec["by_severity"][severity or "general"]}
    return ClockRule(
        name=spec["name"],
        length=int(spec["length"]),
        basis=Basis(spec["basis"]),
        starts=spec.get("starts", "received"),
        stops=tuple(spec.get("stops", ())),
        steps=tuple(spec.get("steps", ())),
        anchor=spec.get("anchor", "start"),
        pausable=bool(spec.get("pausable", False)),
        max_extension=spec.get("max_extension"),
        on_expiry=spec.get("on_expiry", "escalate"),
        escalate_to=spec.get("escalate_to", "supervisor"),
        real_name_only=bool(spec.get("real_name_only", False)),
        remind_complainant_before=_lead(spec),
        source=spec.get("source", ""),
    )


def _lead(spec: dict[str, Any]) -> int | None:
    """How many basis units before the due time the complainant is reminded (None: not at all)."""
    lead = spec.get("remind_complainant_before")
    if lead is None:
        return None
    if isinstance(lead, bool) or not isinstance(lead, int) or lead < 1:
        raise ValueError(f"clock {spec['name']!r}: remind_complainant_before must be a whole number of at least 1")
    return lead


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    reminder: timedelta
    clock_specs: dict[Kind, tuple[dict[str, Any], ...]]
    categories: dict[str, dict[Kind, dict[str, dict[str, Any]]]] = field(default_factory=dict)

    def rules(self, kind: Kind, category: str | None = None, severity: str | None = None) -> tuple[ClockRule, ...]:
        """The clocks of a kind of case, with its category's overrides and its severity's lengths."""
        overrides = self.categories.get(category or "", {}).get(kind, {})
        return tuple(_rule({**spec, **overrides.get(spec["name"], {})}, severity) for spec in self.clock_specs[kind])

    def rule(self, kind: Kind, name: str, category: str | None = None, severity: str | None = None) -> ClockRule:
        return next(r for r in self.rules(kind, category, severity) if r.name == name)

    def clocks_starting(
        self, kind: Kind, event: str, category: str | None = None, severity: str | None = None
    ) -> tuple[ClockRule, ...]:
        """The clocks of `kind` that start when `event` happens (e.g. "received")."""
        return tuple(r for r in self.rules(kind, category, severity) if r.starts == event)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Policy:
        specs = {Kind(kind): tuple(spec.get("clocks", ())) for kind, spec in data["kinds"].items()}
        categories = {
            category: {Kind(kind): clocks for kind, clocks in by_kind.items()}
            for category, by_kind in data.get("categories", {}).items()
        }
        for kind in Kind:
            specs.setdefault(kind, ())
        policy = cls(
            name=data["profile"],
            description=data.get("description", ""),
            reminder=timedelta(hours=float(data.get("reminder_hours", 24))),
            clock_specs=specs,
            categories=categories,
        )
        for kind in Kind:  # resolve every clock once, so a broken profile fails at load, not mid-case
            for severity in SEVERITIES:
                policy.rules(kind, severity=severity)
        return policy


def load_policy(name: str) -> Policy:
    path = PROFILE_DIR / f"{name}.json"
    if not path.is_file():
        known = sorted(p.stem for p in PROFILE_DIR.glob("*.json"))
        raise ValueError(f"unknown policy profile {name!r}; known profiles: {known}")
    return Policy.from_dict(json.loads(path.read_text(encoding="utf-8")))
