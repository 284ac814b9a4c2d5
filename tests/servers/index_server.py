"""A PEP 503 "simple" package index for tests, behind token authentication. Stdlib only.

Every request (GET, HEAD, POST) needs `Authorization: Basic <user>:<token>` with
`is_valid(token)` true (any username); anything else gets **401** with
`WWW-Authenticate: Basic realm="aqora"` (never 403: pip and uv only ask keyring after a
401). Each request's method, path, username and verdict are recorded in `.seen`.

    with IndexServer(aqora.is_valid_access_token) as index:
        index.add_file(build_wheel(tmp, "tinypkg", "0.1"))
        pip install --index-url index.simple_url tinypkg
        twine upload --repository-url index.upload_url dist/*

Routes: `/simple/` (project list), `/simple/<name>/` (links with `#sha256=`),
`/files/<filename>`, and twine's legacy upload API (multipart `POST` to `/legacy/` or
`/`, `:action=file_upload`), after which the uploaded file is installable. Binds
127.0.0.1 only. `build_wheel` makes a tiny pure-Python wheel for tests.

Standalone: `python tests/servers/index_server.py --token T [--port N] [FILES...]`.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import csv
import email.parser
import email.policy
import hashlib
import html
import io
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

try:
    from .base import LoopbackHandler, LoopbackHTTPServer, parse_authorization
except ImportError:  # run as a script
    from base import LoopbackHandler, LoopbackHTTPServer, parse_authorization  # type: ignore[import-not-found,no-redef]

MAX_UPLOAD = 64 * 1024 * 1024
_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def normalize(name: str) -> str:
    """PEP 503 project-name normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_of(filename: str) -> str:
    """The (normalised) project name of a wheel or sdist file name."""
    if filename.endswith(".whl"):
        return normalize(filename.split("-", 1)[0])
    stem = re.sub(r"\.(tar\.gz|zip|tar\.bz2)$", "", filename)
    return normalize(stem.rsplit("-", 1)[0])


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    method: str
    path: str
    username: str | None
    accepted: bool


class IndexServer(LoopbackHTTPServer[Seen]):
    """An in-memory simple index on 127.0.0.1."""

    def __init__(self, is_valid: Callable[[str], bool], public: bool = False) -> None:
        """`public`: no credentials asked (a stand-in for PyPI)."""
        super().__init__(is_valid)
        self.public = public
        self.files: dict[str, dict[str, bytes]] = {}  # project -> filename -> bytes
        self.uploads: list[dict[str, str]] = []  # form fields of accepted uploads

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"index": self})

    @property
    def simple_url(self) -> str:
        return f"{self.url}/simple/"

    @property
    def upload_url(self) -> str:
        return f"{self.url}/legacy/"

    # content -------------------------------------------------------------------------
    def add_file(self, path: Path, data: bytes | None = None) -> None:
        """Publish a distribution file (a wheel or sdist)."""
        name = path.name
        if not _FILENAME.match(name):
            raise ValueError(f"bad file name {name!r}")
        with self._lock:
            self.files.setdefault(project_of(name), {})[name] = (
                path.read_bytes() if data is None else data
            )

    def accepted(self) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.accepted]


class _Handler(LoopbackHandler):
    index: IndexServer
    server_version = "aqora-test-index/1"
    # Headers and body go out in separate writes: with Nagle's algorithm on, the body of
    # a second request on a kept-alive connection waits for the client's delayed ACK
    # (40 ms), which made every client that reuses connections look slower in
    # tests/bench (uv with the token in the URL: 0.77x "keyring / token in URL").
    disable_nagle_algorithm = True

    # auth ----------------------------------------------------------------------------
    def _authorized(self) -> bool:
        creds = parse_authorization(self.headers.get("Authorization"), bearer=False)
        ok = self.index.public or creds.valid(self.index.is_valid)
        self.index.record(Seen(self.command, self.path, creds.username, ok))
        if not ok:
            self.drain(MAX_UPLOAD)
            self.send_unauthorized(
                b"401 Unauthorized\n",
                [("Content-Type", "text/plain"), ("Cache-Control", "no-store")],
            )
        return ok

    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        extra = [("Content-Type", ctype), ("Cache-Control", "no-store")]
        self.send_body(status, body, [*extra, *(headers or {}).items()])

    # routes --------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if not self._authorized():
            return
        path = unquote(urlsplit(self.path).path)
        parts = [p for p in path.split("/") if p]
        if parts == ["simple"]:
            return self._send(200, self._root_page())
        if len(parts) == 2 and parts[0] == "simple":
            project = normalize(parts[1])
            if not path.endswith("/"):
                return self._send(301, b"", headers={"Location": f"/simple/{project}/"})
            page = self._project_page(project)
            if page is None:
                return self._send(404, b"not found\n", "text/plain")
            return self._send(200, page)
        if len(parts) == 2 and parts[0] == "files":
            data = self._file(parts[1])
            if data is None:
                return self._send(404, b"not found\n", "text/plain")
            return self._send(200, data, "application/octet-stream")
        return self._send(404, b"not found\n", "text/plain")

    def do_POST(self) -> None:
        if not self._authorized():
            return
        path = urlsplit(self.path).path
        if path not in ("/", "/legacy", "/legacy/"):
            self.drain(MAX_UPLOAD)
            return self._send(404, b"not found\n", "text/plain")
        length = int(self.headers.get("Content-Length") or -1)
        if length < 0 or length > MAX_UPLOAD:
            self.close_connection = True
            return self._send(411 if length < 0 else 413, b"bad length\n", "text/plain")
        body = self.rfile.read(length)
        fields, files = parse_multipart(self.headers.get("Content-Type") or "", body)
        if fields.get(":action") != "file_upload" or "content" not in files:
            return self._send(400, b"expected :action=file_upload with content\n", "text/plain")
        filename, data = files["content"]
        if not _FILENAME.match(filename):
            return self._send(400, b"bad file name\n", "text/plain")
        digest = fields.get("sha256_digest")
        if digest and digest != hashlib.sha256(data).hexdigest():
            return self._send(400, b"sha256 mismatch\n", "text/plain")
        project = project_of(filename)
        if "name" in fields and normalize(fields["name"]) != project:
            return self._send(400, b"name does not match the file\n", "text/plain")
        with self.index._lock:
            existing = self.index.files.setdefault(project, {})
            if filename in existing:
                conflict = True
            else:
                conflict = False
                existing[filename] = data
                self.index.uploads.append(fields)
        if conflict:
            return self._send(409, b"file exists\n", "text/plain")
        return self._send(200, b"OK\n", "text/plain")

    # pages ---------------------------------------------------------------------------
    def _root_page(self) -> bytes:
        with self.index._lock:
            projects = sorted(self.index.files)
        links = "".join(f'<a href="/simple/{quote(p)}/">{html.escape(p)}</a>\n' for p in projects)
        return f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n".encode()

    def _project_page(self, project: str) -> bytes | None:
        with self.index._lock:
            files = dict(self.index.files.get(project, {}))
        if not files:
            return None
        links = "".join(
            f'<a href="/files/{quote(name)}#sha256={hashlib.sha256(data).hexdigest()}">'
            f"{html.escape(name)}</a>\n"
            for name, data in sorted(files.items())
        )
        return (
            '<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0">'
            f"</head><body>\n{links}</body></html>\n"
        ).encode()

    def _file(self, filename: str) -> bytes | None:
        with self.index._lock:
            return self.index.files.get(project_of(filename), {}).get(filename)


def parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Form fields and files of a `multipart/form-data` body (twine's upload)."""
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if not content_type.lower().startswith("multipart/form-data"):
        return fields, files
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename:
            files[name] = (filename, payload)
        else:
            fields[name] = payload.decode("utf-8", "replace")
    return fields, files


def build_wheel(directory: Path, name: str, version: str, body: str | None = None) -> Path:
    """A tiny pure-Python wheel: module `<name>` with `VERSION = "<version>"`."""
    directory.mkdir(parents=True, exist_ok=True)
    dist = re.sub(r"[-_.]+", "_", name)
    info = f"{dist}-{version}.dist-info"
    source = body if body is not None else f'VERSION = "{version}"\n'
    contents = {
        f"{dist}/__init__.py": source.encode(),
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            "Summary: A tiny test package\n"
        ).encode(),
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: aqora-helper-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for path, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        writer.writerow([path, f"sha256={digest}", str(len(data))])
    writer.writerow([f"{info}/RECORD", "", ""])
    contents[f"{info}/RECORD"] = record.getvalue().encode()
    out = directory / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in contents.items():
            zf.writestr(path, data)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", required=True, help="the one password accepted")
    ap.add_argument("files", nargs="*", type=Path)
    args = ap.parse_args(argv)
    server = IndexServer(lambda t: t == args.token)
    for path in args.files:
        server.add_file(path)
    server.bind_port = args.port
    with server:
        print(server.simple_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
