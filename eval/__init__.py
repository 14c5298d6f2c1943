"""Evaluation: metrics, labelled sets, system comparisons, reports and benchmarks."""
