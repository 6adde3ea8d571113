"""The data files the server needs are found through the package, and the start-up check sees them all."""

from pathlib import Path

from shim import packaged, resources
from shim.schemas import Schemas

ROOT = Path(__file__).resolve().parents[2]


def test_a_complete_install_lacks_nothing():
    assert packaged.missing() == []


def test_the_start_up_check_asks_for_every_schema_file_in_the_source_tree():
    on_disk = {p.relative_to(ROOT / "schemas").with_suffix("").as_posix()
               for p in (ROOT / "schemas").rglob("*.json")}
    documents = Schemas().documents
    assert set(documents) == on_disk
    assert packaged.required_schemas() | packaged._referenced_between(documents) == on_disk


def test_migrations_are_read_in_order_from_the_package():
    names = [f.name for f in resources.migration_files()]
    assert names == sorted(names) and names[0].startswith("0001_")
