"""The pages are served by the app's own routes (chalicelib/api/site.py): the deployed package carries them."""

from __future__ import annotations

import zipfile

import pytest

from tests.infra.conftest import PROJECT_DIR, Synthesized

pytestmark = pytest.mark.xdist_group("infra")


def test_the_deployed_package_carries_every_page_and_asset(synthesized: Synthesized) -> None:
    packaged: set[str] = set()
    for asset in synthesized.out.glob("asset.*.zip"):
        with zipfile.ZipFile(asset) as archive:
            packaged |= set(archive.namelist())
    web = PROJECT_DIR / "chalicelib" / "web"
    served = {str(path.relative_to(PROJECT_DIR)) for path in web.rglob("*") if path.is_file()}
    assert {"chalicelib/web/index.html", "chalicelib/web/staff.html"} <= served
    assert served <= packaged
