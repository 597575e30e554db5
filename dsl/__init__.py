"""The .kzf language: grammar, parser, positioned AST and diagnostics."""
