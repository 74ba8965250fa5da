"""Baseline of bench/predict-speed.ts: polars (multi-threaded CSV reader) + onnxruntime, the fastest
Python way (issue 16). A copy of shared/peers/polars_predict.py with two additions: it prints its stage
times as one JSON line, and it writes ZipMap outputs (onnxruntime python returns them as a list of
dicts) as one column per class, as predict-batch does.

Usage: python3 bench/polars_predict.py MODEL.onnx INPUT.csv OUTPUT.csv
Drops an `id` column from the features and keeps it in the output; batches of 65536 rows.
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort
import polars as pl

model, inp, out = sys.argv[1:4]
t0 = time.perf_counter()
df = pl.read_csv(inp)
t1 = time.perf_counter()
s = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
X = df.drop("id").to_numpy().astype(np.float32, copy=False)
name = s.get_inputs()[0].name
names = [o.name for o in s.get_outputs()]
parts = [s.run(None, {name: X[i : i + 65536]}) for i in range(0, len(X), 65536)]
t2 = time.perf_counter()
columns = {"id": df["id"]}
for k, out_name in enumerate(names):
    first = parts[0][k]
    if isinstance(first, list):  # ZipMap: a list of {class: probability} per row
        keys = list(first[0].keys())
        P = np.array([[row[c] for c in keys] for p in parts for row in p[k]], dtype=np.float32)
        columns.update({f"{out_name}_{c}": P[:, j] for j, c in enumerate(keys)})
        continue
    P = np.concatenate([p[k] for p in parts])
    if P.ndim == 1:
        columns[out_name] = P
    else:
        columns.update({f"{out_name}_{j}": P[:, j] for j in range(P.shape[1])})
t3 = time.perf_counter()
pl.DataFrame(columns).write_csv(out)
t4 = time.perf_counter()
print(json.dumps({"read_s": t1 - t0, "infer_s": t2 - t1, "convert_s": t3 - t2, "write_s": t4 - t3}))
