"""The CDK app: one stack per stage of `infra/cdk.json` (dev, prod), checked by cdk-nag as it is built.

    make synth                      # both stages into infra/cdk.out (no AWS account needed)
    ../.venv/bin/python app.py      # the same, from infra/ (what `cdk synth` and `cdk deploy` run)

Context (`-c` with the CDK CLI, or the CDK_CONTEXT_JSON variable it sets for this script):
`complaints:stage=dev` builds one stage only; `complaints:bundle=false` packages the app without its
dependencies (the tests: no download, templates identical but for the code asset, not deployable).
Fails when cdk-nag reports a finding that `infra/nag.py` does not acknowledge.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Run from infra/, this folder comes first on sys.path, and its app.py would stand in for the project's
# (the Chalice app that `chalice.cdk` imports as `app`): the project's root takes its place.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != PROJECT_DIR / "infra"]
sys.path.insert(0, str(PROJECT_DIR))
# `chalice package` wants a region; none of it reaches the templates, which stay environment-agnostic.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# Synthesis needs no credentials: botocore must not look for them on an EC2 metadata endpoint (offline, slow).
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.nag import suppress  # noqa: E402
from infra.stack import ComplaintsStack  # noqa: E402
from infra.stages import BUNDLE_KEY, ONLY_STAGE_KEY, STAGES_KEY, StageConfig  # noqa: E402


def build() -> cdk.App:
    defaults = json.loads((Path(__file__).with_name("cdk.json")).read_text(encoding="utf-8"))["context"]
    # the CDK CLI says where through CDK_OUTDIR; run directly, the templates go to infra/cdk.out
    outdir = os.environ.get("CDK_OUTDIR", str(Path(__file__).with_name("cdk.out")))
    app = cdk.App(context=defaults, outdir=outdir)  # values given with -c take precedence
    stages = app.node.try_get_context(STAGES_KEY)
    only = app.node.try_get_context(ONLY_STAGE_KEY)
    bundle = str(app.node.try_get_context(BUNDLE_KEY)).lower() != "false"
    for stage in [only] if only else list(stages):
        config = StageConfig.from_context(stage, stages)
        stack = ComplaintsStack(app, config, bundle=bundle)
        suppress(stack)
        if config.example_values:  # the stack's warning too, which only the CDK CLI prints
            print(f"warning: stage {stage} still has the example {', '.join(config.example_values)}", file=sys.stderr)
    # after synthesis cdk-nag reads the templates; a finding not acknowledged (infra/nag.py) stops the
    # synthesis with its report on stderr and in cdk.out/policy-validation-report.json
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True))
    return app


def main() -> int:
    assembly = build().synth()
    print(f"synthesized {', '.join(s.stack_name for s in assembly.stacks)} into {assembly.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
