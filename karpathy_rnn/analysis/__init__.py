"""The analyses of section 4.2 and the article: pure functions of Traces (only `extract` needs TensorFlow)."""
