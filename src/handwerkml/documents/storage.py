"""Uploaded files on disk, stored once per tenant by the SHA-256 of their bytes.

DATA_DIR/files/<tenant>/<2 hex>/<sha256>. A file is written beside its target
and renamed into place, so a crash never leaves half a file under a hash name;
writing the same bytes again is a no-op. The database's `stored_files` rows say
which files exist for whom; this module only moves bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, tenant_id: int, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / str(tenant_id) / sha256[:2] / sha256

    def put(self, tenant_id: int, data: bytes) -> str:
        digest = sha256_of(data)
        target = self.path(tenant_id, digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    def read(self, tenant_id: int, sha256: str) -> bytes:
        return self.path(tenant_id, sha256).read_bytes()

    def delete(self, tenant_id: int, sha256: str) -> None:
        self.path(tenant_id, sha256).unlink(missing_ok=True)
