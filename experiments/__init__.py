"""Experiment runner: sweep files, samplers, backends, result store, analysis."""
