"""Static checks of a resolved program, run as a declared list of passes whose results are
kept (units, domains, lint, symbolic equivalence), and the judging of published values."""
