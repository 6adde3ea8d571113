"""HTTPS for `serve`: PEM files given by the operator, or a self-signed CA and
server certificate created once in the data directory and kept there."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import os
import ssl
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shim.config import Config, named
from shim.store.factory import sqlite_path

DEFAULT_SANS = ("127.0.0.1", "::1", "localhost")
CA_LIFETIME = dt.timedelta(days=3650)
SERVER_LIFETIME = dt.timedelta(days=397)
RENEW_BEFORE = dt.timedelta(days=30)
BACKDATE = dt.timedelta(minutes=5)  # tolerate clients whose clock runs a little behind


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path
    ca: Path
    ca_key: Path


def resolve(config: Config) -> Config:
    """The config with tls_cert/tls_key/tls_ca naming real files (self-signed ones made here)."""
    if config.tls_self_signed:
        if config.tls_cert or config.tls_key:
            raise ValueError(f"{named(config, 'tls_self_signed')} cannot be combined with "
                             f"{named(config, 'tls_cert')}/{named(config, 'tls_key')}")
        public_host = urllib.parse.urlsplit(config.public_url or "").hostname
        files = ensure_self_signed(tls_dir(config), [*config.tls_sans, public_host or ""])
        return dataclasses.replace(
            config, tls_cert=str(files.cert), tls_key=str(files.key), tls_ca=str(files.ca)
        )
    if bool(config.tls_cert) != bool(config.tls_key):
        raise ValueError(f"{named(config, 'tls_cert')} and {named(config, 'tls_key')} must be "
                         "given together")
    for option in ("requestheader_client_ca", "review_client_ca"):
        if getattr(config, option) and not config.tls_cert:
            raise ValueError(f"{named(config, option)} needs TLS (--tls-cert/--tls-key or "
                             "--tls-self-signed): client certificates are only seen over HTTPS")
    if config.review_access == "client-cert" and not config.review_client_ca:
        raise ValueError(f"{named(config, 'review_access')} client-cert needs "
                         f"{named(config, 'review_client_ca')}")
    return config


def server_context(config: Config) -> ssl.SSLContext | None:
    if not config.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(config.tls_cert, config.tls_key)
    client_cas = [ca for ca in (config.requestheader_client_ca, config.review_client_ca) if ca]
    if client_cas:
        # Asked, not required: kubectl and browsers present none. Which CA issued a
        # presented certificate is checked per request (peer_issued_by).
        context.verify_mode = ssl.CERT_OPTIONAL
        for ca in client_cas:
            context.load_verify_locations(cafile=ca)
    return context


def load_cas(path: str | None) -> tuple[x509.Certificate, ...]:
    return tuple(x509.load_pem_x509_certificates(Path(path).read_bytes())) if path else ()


def peer_issued_by(peer_der: bytes | None, cas: Iterable[x509.Certificate]) -> x509.Certificate | None:
    """The client certificate (DER, already verified by the TLS handshake against every
    loaded CA) when one of `cas` issued it directly, else None: a certificate from
    another trusted CA proves nothing here."""
    if not peer_der:
        return None
    cert = x509.load_der_x509_certificate(peer_der)
    for ca in cas:
        try:
            cert.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return cert
    return None


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def ca_pem(config: Config) -> bytes | None:
    """The CA that clients should trust, when the operator named one (or it is self-signed)."""
    return Path(config.tls_ca).read_bytes() if config.tls_ca else None


def data_dir(config: Config, environ: Mapping[str, str] = os.environ) -> Path:
    """--data-dir, else the SQLite file's directory, else $XDG_DATA_HOME/token-shim."""
    if config.data_dir:
        return Path(config.data_dir)
    if config.db.startswith("sqlite:") and sqlite_path(config.db) != ":memory:":
        path = sqlite_path(config.db)
        return Path("/" + path.lstrip("/") if path.startswith("/") else path).parent
    xdg = environ.get("XDG_DATA_HOME") or str(Path(environ.get("HOME", "~")) / ".local/share")
    return Path(xdg).expanduser() / "token-shim"


def tls_dir(config: Config, environ: Mapping[str, str] = os.environ) -> Path:
    return Path(config.tls_dir) if config.tls_dir else data_dir(config, environ) / "tls"


def ensure_self_signed(directory: Path, extra_sans: Iterable[str] = (),
                       now: dt.datetime | None = None) -> TlsFiles:
    """Create the CA once; (re)issue the server cert when missing, stale or lacking a name."""
    now = now or dt.datetime.now(dt.timezone.utc)
    files = TlsFiles(directory / "server.pem", directory / "server-key.pem",
                     directory / "ca.pem", directory / "ca-key.pem")
    _private_dir(directory)
    if not (files.ca.exists() and files.ca_key.exists()):
        key = ec.generate_private_key(ec.SECP256R1())
        _write(files.ca_key, _key_pem(key), 0o600)
        _write(files.ca, _cert_pem(_ca_cert(key, now)), 0o644)
    _keep_private(files.ca_key, files.key)
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    names = _names([*DEFAULT_SANS, *extra_sans])
    if not _server_cert_fits(files, ca, names, now):
        ca_key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
        key = ec.generate_private_key(ec.SECP256R1())
        _write(files.key, _key_pem(key), 0o600)
        _write(files.cert, _cert_pem(_server_cert(key, names, ca, ca_key, now)), 0o644)
    return files


def _ca_cert(key: ec.EllipticCurvePrivateKey, now: dt.datetime) -> x509.Certificate:
    serial = x509.random_serial_number()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"token-shim CA {serial:x}"[:64])])
    return (
        _builder(name, name, key.public_key(), serial, now, CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signs_certs=True), critical=True)
        .sign(key, hashes.SHA256())
    )


def _server_cert(key, names: list[x509.GeneralName], ca: x509.Certificate, ca_key,
                 now: dt.datetime) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "token-shim")])
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        _builder(subject, ca.subject, key.public_key(), x509.random_serial_number(), now,
                 SERVER_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signs_certs=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _builder(subject, issuer, public_key, serial: int, now: dt.datetime,
             lifetime: dt.timedelta) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(public_key).serial_number(serial)
        .not_valid_before(now - BACKDATE).not_valid_after(now + lifetime)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(*, signs_certs: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, key_cert_sign=signs_certs, crl_sign=signs_certs,
        content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, encipher_only=False, decipher_only=False,
    )


def _server_cert_fits(files: TlsFiles, ca: x509.Certificate, names: list, now: dt.datetime) -> bool:
    if not (files.cert.exists() and files.key.exists()):
        return False
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(names) <= set(sans) and cert.not_valid_after_utc - now > RENEW_BEFORE


def _names(values: Iterable[str]) -> list[x509.GeneralName]:
    found: list[x509.GeneralName] = []
    for value in dict.fromkeys(v.strip() for v in values if v.strip()):
        try:
            found.append(x509.IPAddress(ipaddress.ip_address(value)))
        except ValueError:
            found.append(x509.DNSName(value))
    return found


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _private_dir(directory: Path) -> None:
    """The directory exists and only its owner may list or enter it (whatever it was)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if directory.stat().st_mode & 0o077:
        os.chmod(directory, 0o700)


def _keep_private(*keys: Path) -> None:
    """Private keys found readable by others (copied in, an older version) become 0600."""
    for key in keys:
        if key.exists() and key.stat().st_mode & 0o077:
            os.chmod(key, 0o600)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write through a temporary file so a crash never leaves half a key behind."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(partial, mode)
    os.replace(partial, path)
