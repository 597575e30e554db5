"""What people read: formulas as mathematics (`kzf show`), HTML reports, charts, and the
languages they are written in."""
