"""Citewise's web chat (Gradio). Start it with ``rag ui`` or ``python -m ui``."""
