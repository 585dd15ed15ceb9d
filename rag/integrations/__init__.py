"""Citewise inside other frameworks (imported on demand, never by ``rag`` itself)."""
