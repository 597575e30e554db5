"""Analyses of composite indices built on the API: audit, contributions, sensitivity
(Monte Carlo and Sobol'), and the diff of two methodologies."""
