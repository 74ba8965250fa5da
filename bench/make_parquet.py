"""Writes the benchmark CSV as Parquet the two ways users' files are usually made.

Usage: python3 bench/make_parquet.py INPUT.csv POLARS.parquet PANDAS.parquet
polars: pl.read_csv(...).write_parquet (snappy, row groups as polars cuts them);
pandas: pd.read_csv(...).to_parquet (pyarrow, snappy, one row group of up to 1M rows).
Prints one JSON line: seconds per file.
"""
import json
import sys
import time

import pandas as pd
import polars as pl

src, polars_out, pandas_out = sys.argv[1:4]
t0 = time.perf_counter()
pl.read_csv(src).write_parquet(polars_out, compression="snappy")
t1 = time.perf_counter()
pd.read_csv(src).to_parquet(pandas_out, compression="snappy", index=False)
t2 = time.perf_counter()
print(json.dumps({"polars_s": t1 - t0, "pandas_s": t2 - t1}))
