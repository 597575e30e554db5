"""From a parsed program to results: resolution, planning, lowering, data, CLI and API."""
