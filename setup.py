"""What pyproject.toml cannot say: the top-level `schemas/` folder (the source of
truth for every JSON Schema) is shipped inside the package as `shim._schemas`,
so that a wheel, `pip install .` and `pipx` carry it. Everything else about the
package is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["shim", "shim.*"]), "shim._schemas"],
    package_dir={"shim._schemas": "schemas"},
    package_data={
        "shim.store": ["migrations/*.sql"],
        "shim.faces.web": ["templates/*.html", "static/*"],
        "shim._schemas": ["**/*.json"],
    },
)
