"""The `kzf` command line: one module per command group, over the API and the presentation
layer. The top of the dependency graph: nothing imports it."""
