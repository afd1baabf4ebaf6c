"""`make bench`: every figure of the performance work, each beside its baseline from the same run.

python -m bench [--rounds 60] [--open-cases 20000] [--skip-load] [--skip-memory]

Rows print as: measure, ours, baseline, ratio, and the target the ratio (or figure) must meet.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from bench import cold_start, lambda_memory, local_load, write_units
from bench.hardening import tracking_timings, workflow_upkeep_reads
from bench.queue import case_read_figures, queue_page_figures

#: The happy path before the performance work, by the same meter (the issue measured 109 with a looser one).
WRITE_UNITS_BEFORE = 137
WRITE_UNITS_TARGET = 65
#: The complainant's notices came after that target (the channels): each is an outbox item put in its case's
#: transaction (2 units) and marked sent (1), counted apart.
UNITS_PER_NOTICE = 3


def row(name: str, ours: float, base: float, target: str, unit: str = "ms") -> None:
    print(f"{name:62} {ours:9.1f} {base:9.1f} {unit:>4} {ours / base:6.2f}  {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--open-cases", type=int, default=20_000, help="open cases for the reconciliation figure")
    parser.add_argument("--skip-memory", action="store_true", help="leave out the Lambda memory sizes (cgroups)")
    parser.add_argument("--skip-load", action="store_true", help="leave out the local stack under load (~90 s)")
    args = parser.parse_args()
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the access log would drown the figures

    intake = cold_start.intake_ms(args.rounds)
    cold: dict[str, Any] = cold_start.cold_start_ms()
    tracking = tracking_timings(args.rounds)
    queue = queue_page_figures(max(args.rounds // 3, 10))
    look = case_read_figures(max(args.rounds // 3, 10))

    print(f"{'measure':62} {'ours':>9} {'baseline':>9} {'':>4} {'ratio':>6}  target")
    row("intake / the bare requests (same bytes, real execution)", intake["ours_ms"], intake["bare_ms"], "≤ 1.25")
    row("intake / bare + access-code hash", intake["ours_ms"], intake["bare_with_hash_ms"], "≤ 1.25")
    row(
        "intake with Idempotency-Key / bare keyed requests",
        intake["keyed_ours_ms"],
        intake["keyed_bare_ms"],
        "≤ 1.25",
    )
    for phase in ("import", "first_post", "first_get"):
        row(f"cold start: {phase.replace('_', ' ')} / bare Chalice+boto3", cold["ours"][phase], cold["bare"][phase], "")
    row("cold start: import + first POST + first staff GET", cold["ours"]["total"], cold["bare"]["total"], "≤ 1.6")
    print(f"{'':62} (median of the {cold['rounds']} rounds' own ratios: {cold['paired_ratio']['total']:.2f})")
    for name in ("unit", "handler"):
        row(
            f"queue page ?{name}= with 5,000 closed / with 100 closed",
            queue[f"{name}_many_ms"],
            queue[f"{name}_few_ms"],
            f"≤ 1.2; {queue[f'{name}_queries']:.0f} query, {queue[f'{name}_items_read']:.0f} items read (≤ 2)",
        )
    row(
        "case read, 2,000 audit entries / 10 entries",
        look["long_trail_ms"],
        look["short_trail_ms"],
        f"O(1): {look['read_requests']:.0f} requests, {look['items_read']:.0f} items read",
    )
    row(
        "tracking look: wrong access code / unknown tracking code",
        tracking["wrong_access_code_ms"],
        tracking["unknown_tracking_code_ms"],
        "≈ 1 (same work)",
    )
    print(f"(access-code hash: HMAC {intake['hash_ms']:.3f} ms per intake and per look)")

    reads = workflow_upkeep_reads(args.open_cases, 10)
    print(
        f"\nreconciliation with {args.open_cases:,} open cases: {reads['reconcile_items']:.0f} register items read "
        f"({reads['reconcile_requests']:.0f} requests; it lists the executions that ended badly); stream hand-over "
        f"of 10 hand-offs that arrived: {reads['handover_items']:.0f} items, {reads['handover_requests']:.0f} requests"
    )

    units = write_units.happy_path_write_units()
    notices = units["by_item"].get("OUTBOX", 0)
    print(
        f"\nDynamoDB write units, receipt → accept → assign → findings → respond → satisfied, every request "
        f"(app, state machine, task, jobs) with GSI writes: {units['total']} WCU; without the complainant's "
        f"notices {units['total'] - notices} (before {WRITE_UNITS_BEFORE}, target ≤ {WRITE_UNITS_TARGET}); the "
        f"notices {notices} ({notices // UNITS_PER_NOTICE} notices, {UNITS_PER_NOTICE} units each expected)"
    )
    write_units.print_table(units)

    if not args.skip_load:
        load = local_load.load_figures()
        print(
            f"\nlocal stack, {load['intakes']} intakes from {load['clients']} clients, ours (through the app) / "
            "bare (the same requests straight to its moto):"
        )
        for p in ("p50", "p95", "p99"):
            row(f"  intake latency {p}", load["ours"][f"{p}_ms"], load["bare"][f"{p}_ms"], "")
        ours, bare = load["ours"], load["bare"]
        print(
            f"  errors {ours['errors']} / {bare['errors']} (target 0); executions waiting {ours['waiting']} / "
            f"{bare['waiting']}; per open case {ours['rss_mb_per_case']:.2f} MB, "
            f"{ours['threads_per_case']:.1f} threads (bare {bare['rss_mb_per_case']:.2f} MB)"
        )

    if not args.skip_memory:
        print()
        lambda_memory.report(lambda_memory.measure())


if __name__ == "__main__":
    main()
