"""Shared fixtures. Unit tests need none of them; API tests run the app in-process under moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib import wiring
from local.lambda_bridge import app_handlers, route_lambda_invocations
from local.provision import provision
from local.stage import stage_environment
from local.token import mint

COMPLAINT: dict[str, Any] = {
    "kind": "complaint",
    "complainant": {"name": "张三", "phone": "13800138000", "address": "上海市黄浦区中山东一路1号"},
    "respondent": {"name": "某某超市有限公司", "address": "上海市徐汇区漕溪北路88号", "region_code": "310104"},
    "facts": "2026年11月1日在该超市购买的牛奶已过保质期。",
    "request": "退货并按价款十倍赔偿",
    "category": "food",
    "product": {"name": "鲜牛奶", "brand": "某某", "quantity": 2, "price": 12.5, "purchase_date": "2026-11-01"},
    "amount": 25.0,
}


@pytest.fixture(autouse=True)
def stage_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The `test` stage's environment, never a real or local AWS endpoint, and fresh adapters."""
    env = stage_environment("test")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    wiring.reset()
    yield env
    wiring.reset()


#: moto executes the state machines (waits, timeouts, task tokens) and routes Lambda tasks in-process.
MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


@pytest.fixture
def aws(stage_env: dict[str, str]) -> Iterator[None]:
    with mock_aws(config=MOTO_CONFIG):
        route_lambda_invocations(app_handlers(stage_env))
        provision(stage_env)
        yield


@pytest.fixture
def client(aws: None) -> Iterator[Client]:
    from app import app

    with Client(app, stage_name="test") as test_client:
        yield test_client


def token(*roles: str, sub: str = "staff-1", name: str = "李四", hours: float = 1, secret: str | None = None) -> str:
    return mint(sub, list(roles), name=name, hours=hours, secret=secret)


def post(client: Client, path: str, body: Any, **headers: str) -> Any:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body, ensure_ascii=False)
    return client.http.post(path, headers={"Content-Type": "application/json", **headers}, body=raw)


def staff_headers(*roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(*roles)}"}
