#!/usr/bin/env python3
"""Compare `mlops check` with onnxruntime's own verdict over the onnx wheel's test models.

For every test directory (model.onnx + test_data_set_N/) of the given corpora, onnxruntime's
verdict is: the model loads in onnxruntime (python), runs on every test set, and reproduces
output_K.pb within rtol=1e-3, atol=1e-3 (onnxruntime's test runner tolerance). Our verdict is
the exit code of `mlops check --test-data DIR --rtol 1e-3 --atol 1e-3` (0 = pass).

Usage: python3 bench/check_corpus.py [pytorch-converted pytorch-operator ...]
Needs: pip install onnx onnxruntime numpy; the project built (npm run build).
"""
import glob
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

ort.set_default_logger_severity(4)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")


def ort_verdict(case_dir):
    try:
        sess = ort.InferenceSession(os.path.join(case_dir, "model.onnx"), providers=["CPUExecutionProvider"])
        inputs = [i.name for i in sess.get_inputs()]
        outputs = [o.name for o in sess.get_outputs()]
        sets = sorted(glob.glob(os.path.join(case_dir, "test_data_set_*")))
        for s in sets:
            feeds = {}
            for k, f in enumerate(sorted(glob.glob(os.path.join(s, "input_*.pb")), key=lambda p: int(p.rsplit("_", 1)[1][:-3]))):
                t = onnx.TensorProto()
                t.ParseFromString(open(f, "rb").read())
                feeds[t.name if t.name in inputs else inputs[k]] = numpy_helper.to_array(t)
            expected = []
            for f in sorted(glob.glob(os.path.join(s, "output_*.pb")), key=lambda p: int(p.rsplit("_", 1)[1][:-3])):
                t = onnx.TensorProto()
                t.ParseFromString(open(f, "rb").read())
                expected.append(numpy_helper.to_array(t))
            got = sess.run(outputs[: len(expected)], feeds)
            for g, e in zip(got, expected):
                if g.dtype.kind in "fc":
                    if not np.allclose(g, e, rtol=1e-3, atol=1e-3, equal_nan=True):
                        return False, "output mismatch"
                elif not np.array_equal(g, e):
                    return False, "output mismatch"
        return True, ""
    except Exception as exc:  # noqa: BLE001 - any failure is onnxruntime's "no"
        return False, str(exc).splitlines()[0][:160]


def ours(case_dir):
    proc = subprocess.run(
        [os.path.join(ROOT, "bin", "mlops"), "check", "--test-data", case_dir, "--rtol", "1e-3", "--atol", "1e-3", "--json"],
        capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"},
    )
    codes = []
    if proc.stdout:
        codes = [p["code"] for p in json.loads(proc.stdout)["problems"] if p["severity"] == "error"]
    return proc.returncode, codes, proc.stderr.strip().splitlines()[:1]


def main():
    corpora = sys.argv[1:] or ["pytorch-converted", "pytorch-operator"]
    total = agree = 0
    rows = []
    for corpus in corpora:
        for case in sorted(os.listdir(os.path.join(DATA, corpus))):
            case_dir = os.path.join(DATA, corpus, case)
            if not os.path.exists(os.path.join(case_dir, "model.onnx")):
                continue
            ok, why = ort_verdict(case_dir)
            code, errors, stderr = ours(case_dir)
            same = (code == 0) == ok and code in (0, 1)
            total += 1
            agree += same
            if not same:
                rows.append(f"DISAGREE {corpus}/{case}: onnxruntime={'pass' if ok else 'fail'} ({why}) mlops exit={code} {errors} {stderr}")
    print("\n".join(rows))
    print(f"{agree}/{total} agree")


if __name__ == "__main__":
    main()
