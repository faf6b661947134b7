"""Shared kernel: the declarative base, workers and enterprises (portraits and rankings later)."""
