"""Editor support: the language server `kzf lsp` (server.py), what it answers from
(symbols.py), and highlighting (lexer.py)."""
