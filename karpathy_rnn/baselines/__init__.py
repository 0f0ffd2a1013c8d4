"""Finite-horizon baselines of section 4.3: KenLM n-gram models and n-NN models."""
