"""Policy profiles: which clocks run for which kind of case, how long, and how they count.

A profile is data (`chalicelib/policies/<name>.json`), so a 12315 centre, a bank and an airline
run the same code with different files. This module only gives the data a shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from chalicelib.domain.case import Kind
from chalicelib.domain.deadlines import Basis, ClockRule

PROFILE_DIR = Path(__file__).resolve().parent.parent / "policies"


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    clocks: dict[Kind, tuple[ClockRule, ...]]

    def clocks_starting(self, kind: Kind, event: str) -> tuple[ClockRule, ...]:
        """The clocks of `kind` that start when `event` happens (e.g. "received")."""
        return tuple(rule for rule in self.clocks.get(kind, ()) if rule.starts == event)

    @classmethod
    def from_dict(cls, data: dict) -> Policy:
        clocks = {
            Kind(kind): tuple(
                ClockRule(
                    name=rule["name"],
                    length=int(rule["length"]),
                    basis=Basis(rule["basis"]),
                    starts=rule.get("starts", "received"),
                    source=rule.get("source", ""),
                )
                for rule in spec.get("clocks", ())
            )
            for kind, spec in data["kinds"].items()
        }
        return cls(name=data["profile"], description=data.get("description", ""), clocks=clocks)


def load_policy(name: str) -> Policy:
    path = PROFILE_DIR / f"{name}.json"
    if not path.is_file():
        known = sorted(p.stem for p in PROFILE_DIR.glob("*.json"))
        raise ValueError(f"unknown policy profile {name!r}; known profiles: {known}")
    return Policy.from_dict(json.loads(path.read_text(encoding="utf-8")))
