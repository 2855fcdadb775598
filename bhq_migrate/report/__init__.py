"""Renderers shared by every command: JSON, SARIF 2.1.0 (and JUnit for verify)."""
