"""Run by the Dockerfile's build stage with the image's interpreter: removes from the
virtual environment what the server never reads, to keep the image small.

- swagger-ui-py's static folder ships Swagger Editor and source maps (about 20 MB); the
  server serves only the files in shim.faces.docs.ASSETS (and checks them at start);
- the test suites some dependencies install next to their code.
"""

import shutil
import site
from pathlib import Path

from shim import resources
from shim.faces.docs import ASSETS


def trim_swagger_assets() -> int:
    static = Path(str(resources.swagger_asset("x"))).parent
    removed = 0
    for path in static.iterdir():
        if path.name not in ASSETS and path.is_file():
            removed += path.stat().st_size
            path.unlink()
    return removed


def trim_test_suites() -> int:
    removed = 0
    for packages in map(Path, site.getsitepackages()):
        for tests in packages.glob("*/tests"):
            if tests.is_dir() and not tests.parent.name.startswith("shim"):
                removed += sum(f.stat().st_size for f in tests.rglob("*") if f.is_file())
                shutil.rmtree(tests)
    return removed


if __name__ == "__main__":
    freed = trim_swagger_assets() + trim_test_suites()
    print(f"trim_venv: removed {freed / 1e6:.1f} MB")
