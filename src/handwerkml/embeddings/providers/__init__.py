"""Embedding providers: the local ONNX model (default) and an OpenAI-compatible HTTP server."""
