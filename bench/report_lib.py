"""Number parsing and formatting shared by the bench/*/report.py scripts, so that every results
table rounds and writes ratios the same way."""


def num(v):
    """The CSV cell as a float, None when it is empty or not a number."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(x, unit=""):
    """Three significant figures or so: 1,234 / 12.3 / 1.23; n/a for a missing figure."""
    if x is None:
        return "n/a"
    return (f"{x:,.0f}" if x >= 100 else f"{x:,.1f}" if x >= 10 else f"{x:,.2f}") + unit


def ratio(better, worse, suffix="x"):
    """better / worse as '3.20x', n/a when either is missing or zero."""
    return f"{better / worse:.2f}{suffix}" if better and worse else "n/a"
