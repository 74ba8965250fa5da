"""The fastest Python way on Parquet: polars.read_parquet + onnxruntime + write_csv.

Usage: python3 bench/baseline_polars_parquet.py MODEL.onnx INPUT.parquet OUTPUT.csv
Like ../shared/peers/polars_predict.py, which reads CSV: drops `id` from the
features and keeps it in the output. Prints one JSON line: per-stage seconds, peak RSS.
"""
import json
import resource
import sys
import time

import numpy as np
import onnxruntime as ort
import polars as pl

model, src, dst = sys.argv[1:4]
t0 = time.perf_counter()
df = pl.read_parquet(src)
t1 = time.perf_counter()
sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
name = sess.get_inputs()[0].name
X = df.drop("id").to_numpy().astype(np.float32, copy=False)
P = np.concatenate([sess.run(None, {name: X[i : i + 65536]})[0] for i in range(0, len(X), 65536)])
t2 = time.perf_counter()
pl.DataFrame(P, schema=[f"logits_{i}" for i in range(P.shape[1])]).insert_column(0, df["id"]).write_csv(dst)
t3 = time.perf_counter()
print(json.dumps({
    "read_s": t1 - t0, "infer_s": t2 - t1, "write_s": t3 - t2,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
