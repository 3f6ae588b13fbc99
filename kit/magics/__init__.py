"""Magics layer: one module per magic (its arguments, parsing and helpers); extension registers.

`%load_ext kit` calls kit.magics.extension.register; nothing here runs at import.
"""
