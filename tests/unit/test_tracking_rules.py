"""Guessing access codes, on the in-memory ports: budgets taken before the check, the owner never
locked out by a few strangers' mistakes, and an unknown code indistinguishable from a wrong one."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.domain.codes import normalise_tracking_code
from chalicelib.domain.deadlines import CHINA
from chalicelib.errors import NotFound, Throttled
from chalicelib.service.tracking import Budgets, open_case
from tests.fakes import FakeBudget, FakeCases, file_complaint, services

NOW = datetime(2026, 11, 23, 10, tzinfo=CHINA)


def setup(client_limit: int = 20, code_limit: int = 30) -> tuple[FakeCases, Budgets, str, str]:
    cases = FakeCases()
    receipt = file_complaint(services(cases), NOW)
    budgets = Budgets(FakeBudget(client_limit), FakeBudget(code_limit), FakeBudget(3))
    return cases, budgets, receipt.cases[0].tracking_code, receipt.access_code


def look(cases: FakeCases, budgets: Budgets, code: str, access: str, client: str = "198.51.100.7") -> object:
    return open_case(code, access, client=client, now=NOW, services=services(cases), budgets=budgets)


def test_a_few_wrong_codes_from_strangers_do_not_lock_the_owner_out() -> None:
    cases, budgets, code, access = setup()
    for n in range(5):
        with pytest.raises(NotFound):
            look(cases, budgets, code, "00000000", client=f"203.0.113.{n}")
    assert look(cases, budgets, code, access, client="198.51.100.7") is not None
    # and the owner's own looks cost nothing: a hundred of them later it still works
    for _ in range(100):
        look(cases, budgets, code, access)


def test_the_owners_looks_hold_at_most_one_try_of_a_window_and_give_back_none_for_free() -> None:
    cases, budgets, code, access = setup(code_limit=3)
    for _ in range(10):
        look(cases, budgets, code, access)
    per_code = budgets.per_code
    assert isinstance(per_code, FakeBudget)
    # the window's first try is kept (giving it back would be a write for a try nobody missed) ...
    assert per_code.calls.count("refund") == 9
    # ... so of a budget of 3, the owner's ten looks leave strangers exactly 2 wrong codes
    for n in range(2):
        with pytest.raises(NotFound):
            look(cases, budgets, code, f"{n:08d}", client=f"203.0.113.{n}")
    with pytest.raises(Throttled):
        look(cases, budgets, code, "00000009", client="203.0.113.9")


def test_a_tracking_codes_budget_ends_guessing_from_any_number_of_clients() -> None:
    cases, budgets, code, access = setup(code_limit=30)
    for n in range(30):
        with pytest.raises(NotFound):
            look(cases, budgets, code, f"{n:08d}", client=f"203.0.113.{n}")
    with pytest.raises(Throttled) as refused:
        look(cases, budgets, code, access, client="192.0.2.1")
    assert refused.value.retry_after_seconds > 0


def test_one_client_guessing_across_codes_is_stopped_by_its_own_budget() -> None:
    cases, budgets, code, access = setup(client_limit=20)
    others = [file_complaint(services(cases), NOW).cases[0].tracking_code for _ in range(3)]
    for n in range(20):
        with pytest.raises(NotFound):
            look(cases, budgets, others[n % 3], "12345678", client="203.0.113.9")
    with pytest.raises(Throttled):
        look(cases, budgets, code, access, client="203.0.113.9")
    assert look(cases, budgets, code, access, client="198.51.100.7") is not None  # everyone else is unaffected


def test_an_unknown_code_and_a_wrong_access_code_do_exactly_the_same_work() -> None:
    cases, budgets, code, _ = setup()
    # a well-formed code (its check digit is right) that no case has
    unknown = next(c for d in "0123456789" if normalise_tracking_code(c := f"10000000000{d}"))
    assert cases.claim(unknown) is None

    def work(tracking_code: str) -> list[str]:
        cases.calls.clear()
        for budget in (budgets.per_client, budgets.per_code):
            budget.calls.clear()  # type: ignore[attr-defined]
        with pytest.raises(NotFound) as answer:
            look(cases, budgets, tracking_code, "00000000")
        assert str(answer.value) == "no case matches this tracking code and access code"
        return cases.calls + budgets.per_client.calls + budgets.per_code.calls  # type: ignore[attr-defined]

    assert work(code) == work(unknown) == ["claim", "spend", "spend"]
