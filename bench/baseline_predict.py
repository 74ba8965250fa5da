"""The Python way, as the issue measures it: pandas.read_csv + onnxruntime + DataFrame.to_csv.

Usage: python3 bench/baseline_predict.py MODEL.onnx INPUT.csv OUTPUT.csv [BATCH]
Prints one JSON line: wall and per-stage seconds, peak RSS.
"""
import json
import resource
import sys
import time

import numpy as np
import onnxruntime as ort
import pandas as pd

model, src, dst = sys.argv[1:4]
batch = int(sys.argv[4]) if len(sys.argv) > 4 else 4096
t0 = time.perf_counter()
df = pd.read_csv(src)
t1 = time.perf_counter()
sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
inp = sess.get_inputs()[0].name
features = df.drop(columns=["id"]).to_numpy(dtype=np.float32)
outs = [sess.run(None, {inp: features[i : i + batch]})[0] for i in range(0, len(features), batch)]
pred = np.concatenate(outs)
t2 = time.perf_counter()
out = pd.DataFrame({"id": df["id"]})
for k in range(pred.shape[1]):
    out[f"logits_{k}"] = pred[:, k]
out.to_csv(dst, index=False)
t3 = time.perf_counter()
print(json.dumps({
    "wall_s": t3 - t0, "read_s": t1 - t0, "infer_s": t2 - t1, "write_s": t3 - t2,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
