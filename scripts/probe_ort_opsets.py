#!/usr/bin/env python3
"""Probe which opset / IR versions the installed onnxruntime (python) accepts.

Usage:  python3 scripts/probe_ort_opsets.py [--json]

For every candidate version we build a trivial model in memory and try to create an
onnxruntime.InferenceSession and run it once:
  * default domain ('')   : Add(a, b) -> c          opset 1..40 (ir_version 8 fixed)
  * 'ai.onnx.ml'          : Normalizer(norm='L2')     ml opset 1..10 (default opset 17, ir 8)
  * IR version            : Add, default opset 17     ir_version 3..20
Opsets 1..6 fail for Add with NOT_IMPLEMENTED (onnxruntime has no CPU Add kernel before
opset 7) -- that is a kernel gap, not a rejection of the opset itself. The highest accepted
version of each probe and the (cleaned) error for the first version above it are printed.
"""
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper


def _session(model):
    so = ort.SessionOptions()
    so.log_severity_level = 4  # silence warnings such as "opset X is under development"
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def add_model(opset, ir=8):
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [2])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [2])
    c = helper.make_tensor_value_info("c", TensorProto.FLOAT, [2])
    g = helper.make_graph([helper.make_node("Add", ["a", "b"], ["c"])], "probe", [a, b], [c])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir
    return m


def ml_model(ml_opset, opset=17, ir=8):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
    n = helper.make_node("Normalizer", ["x"], ["y"], domain="ai.onnx.ml", norm="L2")
    g = helper.make_graph([n], "probe_ml", [x], [y])
    m = helper.make_model(
        g, opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid("ai.onnx.ml", ml_opset)]
    )
    m.ir_version = ir
    return m


def clean_ort_message(msg: str) -> str:
    """Drop onnxruntime's '/onnxruntime_src/file.cc:NN <C++ signature>' prefix from an error."""
    msg = " ".join(str(msg).split())
    i = msg.find("/onnxruntime_src/")
    if i < 0:
        return msg
    j = msg.find("(", i)
    depth = 0
    while 0 <= j < len(msg):
        if msg[j] == "(":
            depth += 1
        elif msg[j] == ")":
            depth -= 1
            if depth == 0:
                break
        j += 1
    return (msg[:i] + msg[j + 1:].lstrip()) if j < len(msg) else msg


def try_run(model, feeds):
    try:
        s = _session(model)
        s.run(None, feeds)
        return True, ""
    except Exception as e:  # noqa: BLE001
        return False, clean_ort_message(e)


def probe():
    two = {"a": np.ones(2, np.float32), "b": np.ones(2, np.float32)}
    res = {"onnxruntime": ort.__version__, "onnx": onnx.__version__}

    ok_default, first_fail = [], None
    for v in range(1, 41):
        ok, msg = try_run(add_model(v), two)
        if ok:
            ok_default.append(v)
        elif ok_default and first_fail is None:
            first_fail = (v, msg)
        elif not ok_default and v == 1:
            res["default_opset_1_error"] = msg
    res["default_opset_accepted"] = ok_default
    res["default_opset_max"] = max(ok_default) if ok_default else None
    res["default_opset_first_rejection"] = first_fail

    ok_ml, first_fail = [], None
    for v in range(1, 11):
        ok, msg = try_run(ml_model(v), {"x": np.array([[3, 4, 0]], np.float32)})
        if ok:
            ok_ml.append(v)
        elif first_fail is None:
            first_fail = (v, msg)
    res["ml_opset_accepted"] = ok_ml
    res["ml_opset_max"] = max(ok_ml) if ok_ml else None
    res["ml_opset_first_rejection"] = first_fail

    ok_ir, first_fail = [], None
    for ir in range(3, 21):
        ok, msg = try_run(add_model(17, ir), two)
        if ok:
            ok_ir.append(ir)
        elif ok_ir and first_fail is None:
            first_fail = (ir, msg)
    res["ir_version_accepted"] = ok_ir
    res["ir_version_max"] = max(ok_ir) if ok_ir else None
    res["ir_version_first_rejection"] = first_fail

    res["onnx_max_default_opset"] = onnx.defs.onnx_opset_version()
    res["onnx_ir_version"] = onnx.IR_VERSION
    return res


def main():
    res = probe()
    if "--json" in sys.argv:
        print(json.dumps(res, indent=2))
        return
    print(f"onnxruntime {res['onnxruntime']} / onnx {res['onnx']}")
    print(f"default-domain opset: max accepted = {res['default_opset_max']} "
          f"(accepted {min(res['default_opset_accepted'])}..{res['default_opset_max']}; onnx knows up to {res['onnx_max_default_opset']})")
    print(f"  first rejection above max: {res['default_opset_first_rejection']}")
    if "default_opset_1_error" in res:
        print(f"  below {min(res['default_opset_accepted'])}: {res['default_opset_1_error']}")
    print(f"ai.onnx.ml opset:     max accepted = {res['ml_opset_max']} (accepted {res['ml_opset_accepted']})")
    print(f"  first rejection above max: {res['ml_opset_first_rejection']}")
    print(f"IR version:           max accepted = {res['ir_version_max']} (accepted {res['ir_version_accepted']}; onnx writes {res['onnx_ir_version']})")
    print(f"  first rejection above max: {res['ir_version_first_rejection']}")


if __name__ == "__main__":
    main()
