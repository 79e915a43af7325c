#!/bin/sh
# LibreOffice Calc (headless, no GUI) and poppler's pdfinfo/pdftoppm for `make desk`:
# installed from Debian's packages where missing (as root, or through sudo).
set -e
if command -v soffice >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui poppler-utils
