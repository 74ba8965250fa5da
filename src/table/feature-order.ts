/**
 * Features taken from a file's column order are a silent hazard: swap two
 * columns and predictions change with exit 0. Every command that maps
 * columns that way says so, and says how to map by name instead.
 */
export function featuresByOrderWarning(file: string, features: readonly string[], input: string): string {
  const shown = features.length > 4 ? `${features.slice(0, 3).join(', ')}, ..., ${features[features.length - 1]} (${features.length})` : features.join(', ');
  return `${file}: input "${input}" takes columns ${shown} by their order in the file, as the model records no feature names; `
    + 'reordered columns would change predictions silently. Record the names: mlops registry register NAME MODEL --features-from train.csv';
}
