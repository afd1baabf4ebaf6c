"""Timing helpers: medians, and medians of two operations timed alternately."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def median_ms(fn: Callable[[], Any], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def paired_medians_ms(
    ours: tuple[str, Callable[[], Any]], base: tuple[str, Callable[[], Any]], rounds: int
) -> dict[str, float]:
    """Medians of two operations timed alternately, so both see the same load on the machine."""
    samples: dict[str, list[float]] = {ours[0]: [], base[0]: []}
    for _ in range(rounds):
        for name, fn in (ours, base):
            started = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}
