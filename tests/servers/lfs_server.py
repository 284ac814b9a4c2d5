"""A Git LFS server for tests: the batch API and basic-transfer object PUT/GET, behind
token authentication. Stdlib only.

Every request needs `Authorization: Basic <user>:<token>` with `is_valid(token)` true
(git-lfs always sends Basic); anything else gets **401** with
`LFS-Authenticate: Basic realm="aqora"` and `WWW-Authenticate` alike. Each request's
method, path, username and verdict are recorded in `.seen`; stored objects are in
`.objects` (oid -> bytes). Binds 127.0.0.1 only.

    with LfsServer(aqora.is_valid_access_token) as lfs:
        git config lfs.url lfs.lfs_url("demo.git")

Routes: `POST /<repo>/info/lfs/objects/batch` (upload and download, transfer `basic`),
`PUT|GET /<repo>/info/lfs/objects/<oid>`; anything else (locks included) is 404, which
git-lfs takes as "no locking here".
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from .base import REALM, LoopbackHandler, LoopbackHTTPServer, parse_authorization

MAX_OBJECT = 16 * 1024 * 1024
LFS_JSON = "application/vnd.git-lfs+json"
_OID = re.compile(r"^[0-9a-f]{64}$")
_BATCH = re.compile(r"^/(?P<repo>[A-Za-z0-9._/-]+)/info/lfs/objects/batch$")
_OBJECT = re.compile(r"^/(?P<repo>[A-Za-z0-9._/-]+)/info/lfs/objects/(?P<oid>[0-9a-f]{64})$")


@dataclass(frozen=True)
class LfsSeen:
    """One request as the server saw it."""

    method: str
    path: str
    username: str | None
    accepted: bool


class LfsServer(LoopbackHTTPServer[LfsSeen]):
    """An in-memory LFS object store on 127.0.0.1."""

    def __init__(self, is_valid: Callable[[str], bool]) -> None:
        super().__init__(is_valid)
        self.objects: dict[str, bytes] = {}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"lfs": self})

    def lfs_url(self, repo: str) -> str:
        """The `lfs.url` of a repository."""
        return f"{self.url}/{repo}/info/lfs"

    def accepted(self) -> list[LfsSeen]:
        with self._lock:
            return [s for s in self.seen if s.accepted]


class _Handler(LoopbackHandler):
    lfs: LfsServer
    server_version = "aqora-test-lfs/1"

    def _authorized(self) -> bool:
        creds = parse_authorization(self.headers.get("Authorization"), bearer=False)
        ok = creds.valid(self.lfs.is_valid)
        self.lfs.record(LfsSeen(self.command, urlsplit(self.path).path, creds.username, ok))
        if not ok:
            self.drain(MAX_OBJECT)
            self.send_unauthorized(
                b'{"message": "authentication required"}\n',
                [("Content-Type", LFS_JSON), ("LFS-Authenticate", f'Basic realm="{REALM}"')],
            )
        return ok

    def _json(self, status: int, payload: object) -> None:
        self.send_body(status, json.dumps(payload).encode(), [("Content-Type", LFS_JSON)])

    def do_POST(self) -> None:
        if not self._authorized():
            return
        match = _BATCH.match(urlsplit(self.path).path)
        try:
            request = json.loads(b"".join(self.body_chunks(1024 * 1024)))
        except (ValueError, ConnectionError):
            self.close_connection = True
            return self._json(400, {"message": "bad request"})
        if match is None:
            return self._json(404, {"message": "not found"})
        operation = request.get("operation")
        if operation not in ("upload", "download"):
            return self._json(422, {"message": "unknown operation"})
        base = f"{self.lfs.url}/{match.group('repo')}/info/lfs/objects"
        objects = [self._batch_entry(operation, o, base) for o in request.get("objects", [])]
        self._json(200, {"transfer": "basic", "objects": objects})

    def _batch_entry(self, operation: str, obj: dict[str, Any], base: str) -> dict[str, Any]:
        oid, size = str(obj.get("oid", "")), obj.get("size")
        entry: dict[str, Any] = {"oid": oid, "size": size}
        if not _OID.match(oid):
            entry["error"] = {"code": 422, "message": "bad oid"}
            return entry
        with self.lfs._lock:
            stored = oid in self.lfs.objects
        if operation == "download" and not stored:
            entry["error"] = {"code": 404, "message": "object not found"}
        elif operation == "download" or not stored:
            entry["actions"] = {operation: {"href": f"{base}/{oid}"}}
        return entry

    def do_PUT(self) -> None:
        if not self._authorized():
            return
        match = _OBJECT.match(urlsplit(self.path).path)
        if match is None:
            self.drain(MAX_OBJECT)
            return self._json(404, {"message": "not found"})
        try:
            data = b"".join(self.body_chunks(MAX_OBJECT))
        except (ValueError, ConnectionError):
            self.close_connection = True
            return self._json(413, {"message": "too large"})
        oid = match.group("oid")
        if hashlib.sha256(data).hexdigest() != oid:
            return self._json(422, {"message": "content does not match the oid"})
        with self.lfs._lock:
            self.lfs.objects[oid] = data
        self.send_body(200, b"")

    def do_GET(self) -> None:
        if not self._authorized():
            return
        match = _OBJECT.match(urlsplit(self.path).path)
        with self.lfs._lock:
            data = self.lfs.objects.get(match.group("oid")) if match else None
        if data is None:
            return self._json(404, {"message": "not found"})
        self.send_body(200, data, [("Content-Type", "application/octet-stream")])
