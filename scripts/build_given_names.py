"""Write assistant/given_names.txt: the given names units.py reads a person's name by.

Taken from nomquamgender 0.1.4 (MIT, Ian Van Buskirk; `pip install --no-deps
nomquamgender==0.1.4`), whose name_data.json counts, for 721,739 first names, how many of the
national and scientific name registers it draws on list each one (35 at most). A name most registers list
(MIN_SOURCES of them) is a given name in general use: "peter", "sue", "latif", "sophie";
"parish", "west", "council" and "road" are listed by fewer than 15. Only the names are kept
(about 4,800, 32 kB), so the assistant needs neither the package nor its 4 MB of data.

    .venv/bin/python scripts/build_given_names.py
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assistant" / "given_names.txt"
PACKAGE = "nomquamgender"
VERSION = "0.1.4"
# Of at most 35: 20 keeps names such as "latif" (20) and "rosetta" (21) and leaves
# words that are names only now and then ("west" 13, "green" 7, "parish" 7).
MIN_SOURCES = 20


def given_names(data: dict[str, list[object]], min_sources: int = MIN_SOURCES) -> list[str]:
    """The names, in lower case and alphabetical order, that at least `min_sources`
    registers list (letters only: the data also holds HTML entities and stray marks)."""
    return sorted(name for name, info in data.items()
                  if name.isalpha() and name.isascii() and int(str(info[0])) >= min_sources)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    # found without importing the package: its __init__ imports pandas
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{PACKAGE} is not installed: pip install --no-deps {PACKAGE}=={VERSION}")
    folder = Path(next(iter(spec.submodule_search_locations)))
    data = json.loads((folder / "name_data.json").read_text(encoding="utf-8"))
    names = given_names(data)
    header = [f"# Given names listed by at least {MIN_SOURCES} of the name registers in {PACKAGE} "
              f"{VERSION} (MIT licence, Ian Van Buskirk).",
              "# Written by scripts/build_given_names.py; do not edit by hand."]
    args.out.write_text("\n".join([*header, *names]) + "\n", encoding="utf-8")
    print(f"{len(names)} names -> {args.out}")


if __name__ == "__main__":
    main()
