"""Statistical numerics with no knowledge of panels or programs: least squares and stepwise
selection, trend lines, forecasts."""
