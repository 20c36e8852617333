"""Front-end files the pages use, copied from npm's node_modules into static/vendor/.

``make install`` runs ``npm ci`` (package.json and package-lock.json pin the versions) and
then this module, so nothing is fetched from a CDN and nothing vendored is committed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
NODE_MODULES = ROOT / "node_modules"
VENDOR = Path(__file__).resolve().parent / "static" / "vendor"

# Served file (under static/vendor/) -> its source in node_modules.
FILES = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "swagger-ui/swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui/swagger-ui-standalone-preset.js": "swagger-ui-dist/swagger-ui-standalone-preset.js",
    "swagger-ui/swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
}
# Used by the browser tests only, injected by Playwright; never served.
AXE = NODE_MODULES / "axe-core" / "axe.min.js"


def missing() -> list[str]:
    """Served files not installed yet (``make install`` copies them)."""
    return [name for name in FILES if not (VENDOR / name).is_file()]


def main() -> int:
    for name, source in FILES.items():
        target = VENDOR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(NODE_MODULES / source, target)
        except FileNotFoundError:
            print(f"{source} is not in node_modules: run `npm ci` first", file=sys.stderr)
            return 1
    print(f"copied {len(FILES)} front-end files to {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
