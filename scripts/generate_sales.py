"""Write realistic fact_sales CSV files for trying the pipeline at size.

    python scripts/generate_sales.py 1000000 --files 4 --out samples/big --seed 1
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from retailctl.datagen import write_sales_csv


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=int, help="data rows per file")
    parser.add_argument("--files", type=int, default=1, help="how many files (default 1)")
    parser.add_argument("--out", type=Path, default=Path("generated"), help="output directory (default ./generated)")
    parser.add_argument("--seed", type=int, default=0, help="the first file's seed; file i uses seed + i")
    parser.add_argument("--days", type=int, default=90, help="days of sales covered (default 90)")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1), help="first day (YYYY-MM-DD)")
    parser.add_argument("--delimiter", default=",", choices=[",", ";", "\t", "|"])
    parser.add_argument("--invalid-rate", type=float, default=0.02)
    parser.add_argument("--duplicate-rate", type=float, default=0.03)
    args = parser.parse_args(argv)
    if args.rows < 0 or args.files < 1:
        parser.error("rows must be >= 0 and --files >= 1")
    for index in range(args.files):
        stats = write_sales_csv(
            args.out / f"sales_{args.seed + index:04d}.csv",
            args.rows,
            seed=args.seed + index,
            days=args.days,
            start=args.start,
            invalid_rate=args.invalid_rate,
            duplicate_rate=args.duplicate_rate,
            delimiter=args.delimiter,
            id_prefix=f"f{args.seed + index:04d}_",
        )
        print(json.dumps(stats.as_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
