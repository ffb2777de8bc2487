#!/usr/bin/env bash
# Installs the Debian packages HandwerkML needs outside Python: Tesseract with the German and
# English models for OCR of scanned documents, and DejaVu fonts that the tests use to render
# German text (umlauts, ß) into images. Idempotent: installs only what is missing, so
# .ci/run and the Makefile can call it on every run. Uses sudo only when not root.
set -euo pipefail

PACKAGES=(tesseract-ocr tesseract-ocr-deu tesseract-ocr-eng fonts-dejavu-core)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-system-packages: already installed: ${PACKAGES[*]}"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null; then
    SUDO=(sudo)
elif [ "${CI:-}" = "true" ]; then
    echo "install-system-packages: need root or sudo to install: ${missing[*]}" >&2
    exit 1
else
    # A developer without sudo still gets a working checkout; OCR tests skip, saying why.
    echo "install-system-packages: cannot install ${missing[*]} (no root, no sudo): OCR is off" >&2
    exit 0
fi

echo "install-system-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-system-packages: done ($(tesseract --version 2>&1 | head -n 1))"
