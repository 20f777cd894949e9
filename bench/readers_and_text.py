"""Timings that used to hide in tests as wall-clock bounds: reading big spreadsheets, pinyin keys,
importing the shared real file. Run: `.venv/bin/python bench/readers_and_text.py` (SQLite is fine)."""
import csv
import io
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def timed(label, fn, repeat=3):
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    runs.sort()
    print(f"{label:<48} median {runs[len(runs) // 2] * 1000:8.0f} ms   best {runs[0] * 1000:8.0f} ms")


def main():
    from zhuli.core.text import pinyin_keys, search_text
    from zhuli.imports.readers import read_table

    rng = random.Random(0)
    common = [chr(c) for c in range(0x4E00, 0x4E00 + 5000)]
    names = ["".join(rng.choices(common, k=rng.randint(2, 6))) + "科技有限公司" for _ in range(20_000)]
    timed("pinyin_keys × 20,000 names", lambda: [pinyin_keys(n) for n in names])
    timed("search_text × 20,000 names", lambda: [search_text(n) for n in names])

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([f"列{i}" for i in range(10)])
    for n in range(100_000):
        writer.writerow([f"客户{n}", "13800000000", "3.5", "000001", n, "地址", "1,250", "备注", "c", ""])
    content = buffer.getvalue().encode("gb18030")
    timed("read_table: 100,000-row GB18030 CSV", lambda: read_table(content), repeat=1)

    shared = Path(__file__).resolve().parent.parent / "zhuli/imports/tests/fixtures/szse-listed-companies.csv"
    timed("read_table: shared SZSE CSV (1,589 rows)", lambda: read_table(shared.read_bytes()))


if __name__ == "__main__":
    main()
