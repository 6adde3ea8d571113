"""The certificates a kube-apiserver on loopback needs: a cluster CA (serving certificate,
an admin client certificate in `system:masters`), a front-proxy CA with the aggregator's
client certificate, and a service-account signing key."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = dt.timedelta(days=1)


class Pki:
    def __init__(self, directory: Path, front_proxy_name: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        cluster_key, cluster = self._ca("cluster-ca")
        self.cluster_ca = self._write("cluster-ca.pem", cluster)
        self.apiserver_cert, self.apiserver_key = self._leaf(
            "apiserver", cluster, cluster_key, "kube-apiserver", server=True)
        self.admin_cert, self.admin_key = self._leaf("admin", cluster, cluster_key, "kube-admin",
                                                     org="system:masters")
        self.plain_cert, self.plain_key = self._leaf("carol", cluster, cluster_key, "carol")
        front_key, front = self._ca("front-proxy-ca")
        self.front_ca = self._write("front-proxy-ca.pem", front)
        self.front_cert, self.front_key = self._leaf("front-proxy", front, front_key,
                                                     front_proxy_name)
        self.rogue_cert, self.rogue_key = self._leaf("rogue", cluster, cluster_key,
                                                     front_proxy_name)  # not the front CA's
        sa = ec.generate_private_key(ec.SECP256R1())
        self.sa_key = self._write_key("sa-key.pem", sa, serialization.PrivateFormat.TraditionalOpenSSL)
        self.sa_pub = self.dir / "sa.pub"
        self.sa_pub.write_bytes(sa.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

    def _ca(self, name: str):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (_builder(subject, subject, key.public_key())
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False,
                                             False), critical=True)
                .sign(key, hashes.SHA256()))
        return key, cert

    def _leaf(self, name: str, ca: x509.Certificate, ca_key, common_name: str,
              org: str | None = None, server: bool = False) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        if org:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (_builder(x509.Name(attrs), ca.subject, key.public_key())
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return self._write(f"{name}.pem", cert), self._write_key(f"{name}-key.pem", key)

    def _write(self, name: str, cert: x509.Certificate) -> Path:
        path = self.dir / name
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return path

    def _write_key(self, name: str, key,
                   form=serialization.PrivateFormat.PKCS8) -> Path:
        path = self.dir / name
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, form,
                                           serialization.NoEncryption()))
        path.chmod(0o600)
        return path


def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - DAY).not_valid_after(now + DAY))
