"""Reading members of untrusted ZIP files (DOCX) without being ZIP-bombed.

The directory is checked before anything is inflated (total size, compression
ratio, entry count), and every read is bounded again while it runs, because the
sizes in the directory are whatever the file's author wrote there.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from handwerkml.documents.extract.errors import CorruptDocument, UnsafeDocument

MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100
# Below this an entry may compress as well as it likes: small XML parts of real
# documents reach ratios above 100 and cannot hurt anyone.
RATIO_EXEMPT_BYTES = 1024 * 1024
MAX_ENTRIES = 10_000
_CHUNK = 64 * 1024


class SafeZip:
    """An opened, checked archive; `read` inflates one member within the limits."""

    def __init__(self, data: bytes, what: str) -> None:
        self._what = what
        try:
            self._archive = zipfile.ZipFile(io.BytesIO(data))
            infos = self._archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as error:
            raise CorruptDocument(f"{what} ist beschädigt (kein gültiges ZIP): {error}") from error
        self._infos = {info.filename: info for info in infos}
        check_directory(infos, what)

    def names(self) -> set[str]:
        return set(self._infos)

    def read(self, name: str, limit: int = MAX_TOTAL_BYTES) -> bytes | None:
        """The member's bytes, None if absent; UnsafeDocument once more than `limit` come out."""
        info = self._infos.get(name)
        if info is None:
            return None
        if info.flag_bits & 0x1:
            raise CorruptDocument(f"{self._what}: {name} ist verschlüsselt.")
        # Never more than the directory promised (zipfile enforces that too) nor than the limit.
        allowed = min(limit, info.file_size)
        parts: list[bytes] = []
        total = 0
        try:
            with self._archive.open(info) as member:
                while chunk := member.read(_CHUNK):
                    total += len(chunk)
                    if total > allowed:
                        raise UnsafeDocument(_too_big(self._what, name, limit))
                    parts.append(chunk)
        except UnsafeDocument:
            raise
        except (
            zipfile.BadZipFile,
            EOFError,
            NotImplementedError,
            OSError,
            ValueError,
            zlib.error,
        ) as error:
            raise CorruptDocument(f"{self._what}: {name} ist beschädigt: {error}") from error
        return b"".join(parts)

    def close(self) -> None:
        self._archive.close()


def check_directory(infos: list[zipfile.ZipInfo], what: str) -> None:
    if len(infos) > MAX_ENTRIES:
        raise UnsafeDocument(f"{what} enthält {len(infos)} Dateien (höchstens {MAX_ENTRIES}).")
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_BYTES:
        raise UnsafeDocument(
            f"{what} würde entpackt {total / 1024 / 1024:.0f} MB groß "
            f"(höchstens {MAX_TOTAL_BYTES // 1024 // 1024} MB): mögliche ZIP-Bombe."
        )
    for info in infos:
        if info.file_size > RATIO_EXEMPT_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_RATIO:
                raise UnsafeDocument(
                    f"{what}: {info.filename} ist {ratio:.0f}:1 komprimiert "
                    f"(höchstens {MAX_RATIO}:1): mögliche ZIP-Bombe."
                )


def _too_big(what: str, name: str, limit: int) -> str:
    return (
        f"{what}: {name} entpackt größer als im ZIP-Verzeichnis angegeben "
        f"oder über {limit // 1024 // 1024} MB: mögliche ZIP-Bombe."
    )
