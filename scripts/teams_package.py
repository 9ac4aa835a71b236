"""Build the Teams app package (manifest + icons, zipped) to upload in Teams.

    TEAMS_APP_ID=... ASSISTANT_PUBLIC_URL=https://minutes.example.gov.uk \
        python scripts/teams_package.py [OUT.zip]   # default: dist/teams-app.zip
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "deploy" / "teams"


def main() -> int:
    app_id = os.environ.get("TEAMS_APP_ID", "").strip()
    public_url = os.environ.get("ASSISTANT_PUBLIC_URL", "").strip().rstrip("/")
    if not app_id or not public_url.startswith("https://"):
        print("error: set TEAMS_APP_ID (the Azure bot's app id) and ASSISTANT_PUBLIC_URL "
              "(https://… where this service is reachable)", file=sys.stderr)
        return 2
    text = (SOURCE / "manifest.json").read_text()
    for name, value in (("TEAMS_APP_ID", app_id), ("PUBLIC_URL", public_url),
                        ("PUBLIC_HOST", urlsplit(public_url).hostname or "")):
        text = text.replace("{{" + name + "}}", value)
    json.loads(text)  # still valid JSON after the substitution
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist" / "teams-app.zip"
    target.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", text)
        for icon in ("color.png", "outline.png"):
            package.write(SOURCE / icon, icon)
    print(f"wrote {target}: upload it in Teams → Apps → Manage your apps → Upload an app")
    return 0


if __name__ == "__main__":
    sys.exit(main())
