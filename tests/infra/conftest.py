"""The deployment's templates, synthesized once per test session (and reused while nothing they are made
from changes): `infra/app.py` with the app packaged without its dependencies (no download), in a
subprocess, cdk-nag included. The tests read the templates it wrote.

Besides the stages of `infra/cdk.json`, one stage is synthesized with the channel options they leave off
(`OPTIONS`: SNS's direct SMS, the SES identity and receipt rule set made by the stack), so that what those
add is checked too, cdk-nag included."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from infra.stages import BUNDLE_KEY, ONLY_STAGE_KEY, STAGES_KEY, StageConfig

PROJECT_DIR = Path(__file__).resolve().parents[2]
#: What the templates are made from: a change to any of these synthesizes again.
INPUTS = ("app.py", ".chalice/config.json", "chalicelib", "infra")
SKIPPED = frozenset({"__pycache__", "cdk.out", "chalice.out"})
#: Files the templates name but never read: the pages and their assets (a change to one is not a new synthesis;
#: a file added or removed is, the package's list of files being checked).
NAMED_ONLY = PROJECT_DIR / "chalicelib" / "web"
TOOLS = ("aws-cdk-lib", "cdk-nag", "chalice", "constructs")
STAGES = ("dev", "prod")
#: The stage synthesized with every channel option on: `dev` of infra/cdk.json with these.
OPTIONS_STAGE = "dev"
OPTIONS = {
    "sms_provider": "sns",
    "sms_origination": "+8610690000",
    "sms_sender_id": "Complaints",
    "email_identity": "notices.example.gov.cn",
    "mail_from": "centre@notices.example.gov.cn",
    "inbound_mail_recipient": "ts.example.gov.cn",
    "auth_domain_prefix": "complaints-dev-staff",
}


@dataclass(frozen=True)
class Synthesized:
    out: Path  # the cloud assembly (cdk.out)
    seconds: float  # how long the synthesis took (0 when reused)

    def template(self, stage: str) -> dict[str, Any]:
        return json.loads((self.out / f"{stage}.template.json").read_text(encoding="utf-8"))

    def templates(self) -> dict[str, dict[str, Any]]:
        return {stage: self.template(stage) for stage in STAGES}

    def transformed(self, stage: str) -> dict[str, Any]:
        """The template as CloudFormation deploys it: after the SAM transform of Chalice's functions and API."""
        return _sam_transform(self.out / f"{stage}.template.json")


class _NoManagedPolicies:
    """The SAM translator looks up AWS managed policies only for a function's `Policies`: none here."""

    def load(self) -> dict[str, str]:
        return {}


@functools.cache
def _sam_transform(path: Path) -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    template = json.loads(path.read_text(encoding="utf-8"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # fills AWS::Region where SAM needs a value
        return dict(transform(template, {}, _NoManagedPolicies()))


def _stages() -> dict[str, Any]:
    context = json.loads((PROJECT_DIR / "infra" / "cdk.json").read_text(encoding="utf-8"))["context"]
    stages: dict[str, Any] = context[STAGES_KEY]
    return stages


def stage_config(stage: str) -> StageConfig:
    """A stage's settings as `infra/cdk.json` gives them."""
    return StageConfig.from_context(stage, _stages())


def options_config() -> StageConfig:
    """The settings of the stage synthesized with every channel option (`OPTIONS`)."""
    return StageConfig.from_context(OPTIONS_STAGE, {OPTIONS_STAGE: {**_stages()[OPTIONS_STAGE], **OPTIONS}})


def _fingerprint(context: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(context, sort_keys=True).encode())
    for tool in TOOLS:
        digest.update(f"{tool}=={metadata.version(tool)}".encode())
    for root in INPUTS:
        path = PROJECT_DIR / root
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if SKIPPED.intersection(file.parts):
                continue
            digest.update(str(file.relative_to(PROJECT_DIR)).encode())
            if not file.is_relative_to(NAMED_ONLY):
                digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def synthesize(work: Path, context: dict[str, Any]) -> float:
    """Run the CDK app into `work/cdk.out` with `context` (what `cdk synth -c` would pass); its seconds. Fails
    the session with cdk-nag's report on a finding."""
    env = {
        **os.environ,
        "CDK_OUTDIR": str(work / "cdk.out"),
        "CDK_CONTEXT_JSON": json.dumps({BUNDLE_KEY: False, **context}),
        # jsii's notice that this Node.js is past its end of life: said once in docs/deploy.md, not per run
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "infra" / "app.py")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"infra/app.py failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}")
    return time.perf_counter() - started


@pytest.fixture(scope="session")
def synthesized() -> Synthesized:
    return _synthesized({})


@pytest.fixture(scope="session")
def synthesized_options() -> Synthesized:
    """`OPTIONS_STAGE` alone, with `OPTIONS`."""
    stage = {**_stages()[OPTIONS_STAGE], **OPTIONS}
    return _synthesized({ONLY_STAGE_KEY: OPTIONS_STAGE, STAGES_KEY: {OPTIONS_STAGE: stage}})


def _synthesized(context: dict[str, Any]) -> Synthesized:
    cache = Path(tempfile.gettempdir()) / f"complaints-synth-{_fingerprint(context)}"
    if (cache / "cdk.out" / "manifest.json").is_file() and (cache / "done").is_file():
        return Synthesized(cache / "cdk.out", 0.0)
    work = Path(tempfile.mkdtemp(prefix="complaints-synth-"))
    seconds = synthesize(work, context)
    shutil.rmtree(work / "chalice.out", ignore_errors=True)  # the packaged app: only the templates are read
    (work / "done").write_text(f"{seconds:.1f}\n")
    shutil.rmtree(cache, ignore_errors=True)
    try:
        work.rename(cache)
    except OSError:  # another process cached the same inputs meanwhile: use ours
        return Synthesized(work / "cdk.out", seconds)
    return Synthesized(cache / "cdk.out", seconds)
