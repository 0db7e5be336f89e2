#!/usr/bin/env bash
# Renders proto-docs/openapi.yaml as one static page with Redoc into DIR
# (index.html, redoc.standalone.js, and the contract itself for its
# download link), for nginx to serve at /api/docs: the page loads nothing
# from elsewhere (no CDN, no web fonts).
#
#   tools/contract/build-docs.sh DIR
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$1
install -d -m 755 "$OUT"
"$HERE/node_modules/.bin/redocly" build-docs --config "$HERE/redocly.yaml" \
    --disableGoogleFont --title "IS System API" \
    --theme.openapi.downloadDefinitionUrl=/api/docs/openapi.yaml \
    -o "$OUT/index.html.tmp" "$HERE/../../proto-docs/openapi.yaml" >/dev/null 2>&1
sed -E 's#src="https://cdn\.redoc(ly)?\.[a-z]+/redoc/[^"]*/redoc\.standalone\.js"#src="/api/docs/redoc.standalone.js"#' \
    "$OUT/index.html.tmp" >"$OUT/index.html"
rm -f "$OUT/index.html.tmp"
cp "$HERE/node_modules/redoc/bundles/redoc.standalone.js" \
    "$HERE/../../proto-docs/openapi.yaml" "$OUT/"
chmod 644 "$OUT/index.html" "$OUT/redoc.standalone.js" "$OUT/openapi.yaml"
# Links may point elsewhere; what the page loads may not.
if grep -Eq 'src="https?://|<link[^>]*href="https?://' "$OUT/index.html"; then
	echo "build-docs: the page still loads from elsewhere" >&2
	exit 1
fi
