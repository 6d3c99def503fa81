#!/usr/bin/env bash
# Install the Debian packages warroom's test suite drives for real; installs only what is
# missing, so on a prepared machine it needs no root. Called by `make test` and `.ci/run`.
set -euo pipefail

# package                 why the tests need it
wanted=(
  postgresql              # a real PostgreSQL server, started by the tests from its binaries
  default-jre-headless    # Java for PySpark in local mode (impact on Spark equals DuckDB)
  chromium                # headless browser: report pages rendered to PNG, web-page tests
  poppler-utils           # pdftotext / pdftoppm: search rendered PDFs for leaked values
  fonts-dejavu-core       # fonts for WeasyPrint's PDF and the pixel tests
  libpango-1.0-0          # WeasyPrint's text layout
  libpangoft2-1.0-0       # WeasyPrint's text layout (FreeType backend)
  libharfbuzz-subset0     # WeasyPrint embeds subset fonts; without it every PDF warns
  prometheus-alertmanager # a real Alertmanager sending real webhooks to `warroom serve`
  openssl                 # a certificate for the test mail server that requires STARTTLS
)

missing=()
for package in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "warroom's tests need these Debian packages, and this machine has no apt-get:" >&2
  echo "  ${missing[*]}" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "Installing ${missing[*]} needs root; run as root or install sudo." >&2
    exit 1
  fi
fi
echo "Installing Debian packages the tests need: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
