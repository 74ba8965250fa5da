"""The Python way for drift: pandas.read_csv on both files, scipy.stats.ks_2samp per column.

Usage: python3 bench/baseline_drift.py REFERENCE.csv CURRENT.csv   (prints one JSON line; .parquet files: pandas.read_parquet)
       python3 bench/baseline_drift.py --ks N                      (time one ks_2samp on N vs N values)
"""
import json
import resource
import sys
import time

import numpy as np
from scipy.stats import ks_2samp

if sys.argv[1] == "--ks":
    n = int(sys.argv[2])
    i = np.arange(n, dtype=np.int64)
    x = ((i + 1) * 2654435761 % 4294967291) / 4294967291.0
    y = ((i + 12345) * 2654435761 % 4294967291) / 4294967291.0 + 0.001
    t = time.perf_counter()
    r = ks_2samp(x, y)
    print(json.dumps({"seconds": time.perf_counter() - t, "statistic": float(r.statistic), "pvalue": float(r.pvalue)}))
    sys.exit(0)

import pandas as pd

t = time.perf_counter()
read_table = pd.read_parquet if sys.argv[1].endswith(".parquet") else pd.read_csv
ref = read_table(sys.argv[1])
cur = read_table(sys.argv[2])
read = time.perf_counter() - t
results = {c: float(ks_2samp(ref[c].dropna(), cur[c].dropna()).pvalue) for c in ref.columns if c != "id"}
total = time.perf_counter() - t
print(json.dumps({"wall_s": total, "read_s": read, "columns": len(results), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
