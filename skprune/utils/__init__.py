"""Utilities shared by the pruning families."""
