"""A self-signed certificate for `pmsync sandbox --tls`, made at start with the openssl CLI.

Some public clients only speak https (tap-jira rewrites every base URL to https://); they
trust the sandbox through the printed certificate (REQUESTS_CA_BUNDLE=<path>).
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path

from pmsync.errors import ConfigError


def make_certificate(folder: Path | None = None) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1 and localhost, valid for a week."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ConfigError("--tls needs the openssl command to make a certificate; "
                          "install it (apt-get install openssl) or run without --tls")
    folder = folder or Path(tempfile.mkdtemp(prefix="pmsync-sandbox-tls-"))
    cert, key = folder / "sandbox-cert.pem", folder / "sandbox-key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, capture_output=True)
    return cert, key


def serve_tls(httpd, cert: Path, key: Path) -> None:
    """Wrap the listening socket; each connection's handshake happens in its own handler
    thread (on first read), so one slow client does not hold up the accept loop."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True,
                                       do_handshake_on_connect=False)
