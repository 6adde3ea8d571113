"""Self-signed TLS: made once, kept, reissued only when it no longer fits; HTTPS config."""

import datetime as dt
import ipaddress
import os
import stat
from pathlib import Path

import pytest
from cryptography import x509

from shim import tls
from shim.config import Config

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)


def _sans(path) -> set:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return set(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)


def test_self_signed_files_are_created_with_private_keys(tmp_path):
    files = tls.ensure_self_signed(tmp_path / "tls", now=NOW)
    for path in (files.cert, files.key, files.ca, files.ca_key):
        assert path.exists()
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.ca_key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "tls").stat().st_mode) == 0o700


def test_server_cert_is_signed_by_the_ca_for_loopback_names(tmp_path):
    files = tls.ensure_self_signed(tmp_path, ["shim.example", "10.0.0.5"], now=NOW)
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    cert.verify_directly_issued_by(ca)
    assert {x509.DNSName("localhost"), x509.DNSName("shim.example"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("10.0.0.5"))} <= _sans(files.cert)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_files_are_kept_across_restarts(tmp_path):
    first = tls.ensure_self_signed(tmp_path, now=NOW)
    before = {p: p.read_bytes() for p in (first.cert, first.key, first.ca, first.ca_key)}
    tls.ensure_self_signed(tmp_path, now=NOW + dt.timedelta(days=1))
    assert {p: p.read_bytes() for p in before} == before


def test_a_new_name_reissues_the_server_cert_under_the_same_ca(tmp_path):
    first = tls.ensure_self_signed(tmp_path, now=NOW)
    ca, cert = first.ca.read_bytes(), first.cert.read_bytes()
    tls.ensure_self_signed(tmp_path, ["shim.example"], now=NOW)
    assert first.ca.read_bytes() == ca and first.cert.read_bytes() != cert
    assert x509.DNSName("shim.example") in _sans(first.cert)


def test_a_server_cert_near_expiry_is_renewed(tmp_path):
    first = tls.ensure_self_signed(tmp_path, now=NOW)
    cert = first.cert.read_bytes()
    tls.ensure_self_signed(tmp_path, now=NOW + tls.SERVER_LIFETIME - dt.timedelta(days=10))
    assert first.cert.read_bytes() != cert


def test_resolve_points_the_config_at_the_self_signed_files(tmp_path):
    config = tls.resolve(Config(db=f"sqlite:///{tmp_path}/shim.db", tls_self_signed=True))
    assert config.tls_ca == str(tmp_path / "tls" / "ca.pem")
    assert tls.server_context(config) is not None
    assert tls.ca_pem(config).startswith(b"-----BEGIN CERTIFICATE-----")


def test_the_public_url_host_is_a_name_of_the_self_signed_cert(tmp_path):
    config = Config(db=f"sqlite:///{tmp_path}/shim.db", tls_self_signed=True,
                    public_url="https://shim.example.com:8443/")
    assert x509.DNSName("shim.example.com") in _sans(Path(tls.resolve(config).tls_cert))


def test_data_dir_wins_over_the_database_directory(tmp_path):
    config = Config(db=f"sqlite:///{tmp_path}/db/shim.db", data_dir=str(tmp_path / "data"))
    assert tls.data_dir(config) == tmp_path / "data"
    assert tls.data_dir(Config(db=f"sqlite:///{tmp_path}/db/shim.db")) == tmp_path / "db"


@pytest.mark.parametrize("changes", [{"tls_cert": "c.pem"}, {"tls_key": "k.pem"},
                                     {"tls_self_signed": True, "tls_cert": "c.pem", "tls_key": "k"}])
def test_inconsistent_tls_options_are_refused(changes):
    with pytest.raises(ValueError, match="--tls"):
        tls.resolve(Config(**changes))


def test_plain_http_has_no_context_and_no_ca():
    assert tls.server_context(Config()) is None and tls.ca_pem(Config()) is None


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_stay_private_under_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        files = tls.ensure_self_signed(tmp_path / "tls", now=NOW)
    finally:
        os.umask(old)
    assert (_mode(tmp_path / "tls"), _mode(files.key), _mode(files.ca_key)) == (0o700, 0o600, 0o600)


def test_a_readable_tls_directory_and_keys_found_there_are_made_private(tmp_path):
    files = tls.ensure_self_signed(tmp_path / "tls", now=NOW)
    os.chmod(tmp_path / "tls", 0o755)
    os.chmod(files.ca_key, 0o644)
    os.chmod(files.key, 0o644)
    tls.ensure_self_signed(tmp_path / "tls", now=NOW)
    assert (_mode(tmp_path / "tls"), _mode(files.key), _mode(files.ca_key)) == (0o700, 0o600, 0o600)


def test_tls_dir_wins_over_the_data_dir(tmp_path):
    config = Config(db=f"sqlite:///{tmp_path}/shim.db", tls_self_signed=True,
                    tls_dir=str(tmp_path / "keys"))
    assert tls.resolve(config).tls_ca == str(tmp_path / "keys" / "ca.pem")
    assert _mode(tmp_path / "keys" / "ca-key.pem") == 0o600


def test_without_a_sqlite_file_tls_goes_to_xdg_data_home_not_the_working_directory(tmp_path):
    config = Config(db="postgresql://u@h/db")
    environ = {"XDG_DATA_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}
    assert tls.tls_dir(config, environ) == tmp_path / "xdg" / "token-shim" / "tls"
    assert tls.tls_dir(config, {"HOME": str(tmp_path / "home")}) == (
        tmp_path / "home" / ".local" / "share" / "token-shim" / "tls")


def test_tls_is_ignored_by_git():
    ignored = (Path(__file__).resolve().parents[2] / ".gitignore").read_text().split()
    assert "tls/" in ignored
