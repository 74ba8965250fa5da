/** What `mlops checklist init` writes: every check kind, commented, ready to trim. */
export const STARTER_CONFIG = `# mlops deployment checklist: \`mlops checklist\` runs every check and exits 1 when a check at or
# above --fail-on (default: error) fails, errors or is pending. Paths are relative to this file.
# Each check: id (unique), type, severity (error | warn, default error) and its thresholds.

# The model to check: a file or a registry reference (--model overrides it).
model: fraud@staging

checks:
  # --- the model itself ---
  - id: model-valid              # structure like onnx.checker, loads and runs in onnxruntime
    type: model_valid
  - id: parity                   # reproduces the source framework's outputs
    type: parity
    test_data: tests/fraud/      # test_data_set_N/input_K.pb, output_K.pb (or input: + expected: CSVs)
    rtol: 0.001
    atol: 0.00001
  - id: finite-weights
    type: finite_weights
  - id: opset
    type: opset_range
    min_opset: 13
    max_opset: 21
    max_ir: 10
  - id: size
    type: max_size_mb
    max: 50
    severity: warn
  - id: standard-ops
    type: no_custom_domains
  - id: external-data
    type: external_data_inside

  # --- performance (synthesized inputs unless input: names a CSV) ---
  - id: latency
    type: latency
    batch_size: 32
    max_p95_ms: 20
    # input: data/holdout.csv    # time real rows instead
    # ignore: [id, label]        # columns that are not features (or features: [...] to name them)
  - id: throughput
    type: throughput
    batch_size: 256
    min_rows_per_s: 10000

  # --- quality on a labelled hold-out set ---
  - id: auc
    type: metric
    data: data/holdout.csv
    label: label
    metric: auc                  # accuracy | f1 | auc | rmse | mae
    min: 0.85
    ignore: [id]
    baseline: fraud@production   # optional: compare with the model in production
    min_absolute_change: -0.005  # may be at most 0.005 worse than the baseline

  # --- an int8 candidate ---
  # - id: int8
  #   type: quantization_agreement
  #   candidate: build/model.int8.onnx
  #   data: data/holdout.csv
  #   ignore: [id, label]
  #   min_agreement: 0.995

  # --- data drift between training and recent data ---
  - id: drift
    type: drift
    reference: data/train.csv
    current: data/recent.csv
    ignore: [id]
    max_share: 0.3
    severity: warn

  # --- registry (the model must be a registry reference) ---
  - id: metadata
    type: registry_metadata
    fields: [description, tags.owner, metrics.auc, git_commit]
  - id: rollback
    type: rollback_available
    alias: production
  - id: fresh
    type: max_age_days
    max: 90
  - id: integrity
    type: registry_sha256

  # --- people ---
  - id: privacy-review
    type: manual
    text: Privacy review signed off
`;
