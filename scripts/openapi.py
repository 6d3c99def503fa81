"""Write the API's OpenAPI document (docs/openapi.json): the reviewed snapshot of the API.

python scripts/openapi.py [OUTPUT]      # `make docs` runs it; a test checks it is current
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from warroom.api.app import create_app
from warroom.settings import Settings


def document() -> str:
    # building the app opens no database: any URL does
    app = create_app(Settings.from_env({"WARROOM_DATABASE_URL": "sqlite://"}))
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/openapi.json")
    out.write_text(document(), encoding="utf-8")
