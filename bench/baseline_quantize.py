"""onnxruntime's own quantizer on the same model, for bench/quantize.ts.

Usage: python3 bench/baseline_quantize.py MODEL.onnx OUT.onnx dynamic
Prints one JSON line with the time it took.
"""
import json
import sys
import time

from onnxruntime.quantization import QuantType, quantize_dynamic

model, out = sys.argv[1:3]
t = time.perf_counter()
try:
    quantize_dynamic(model, out, weight_type=QuantType.QInt8)
    print(json.dumps({"ok": True, "seconds": time.perf_counter() - t}))
except Exception as exc:  # report, do not crash the benchmark
    print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}))
