"""Models, trends and forecasts, as the checker sees them (docs/models.md).

    model gdp = ols(Y ~ X1 + X2 + X3, stepwise(enter 0.05, remove 0.10) where year <= 2020)
    X3_t = trend(X3, quadratic where year in 2000..2020)
    forecast gdp_2026 = gdp to 2026 with X3 = X3_t, interval 0.95

Everything here runs before any data is read: names are resolved through the resolver (so an
unknown variable is KZF010 with a did-you-mean), options are checked (KZF050), and the result,
`Models`, tells the evaluator what to compute. `engine/api/model_tables.py` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kzf.dsl import ast
from kzf.dsl.diagnostics import Span, error, localised, localised_unknown, nearest
from kzf.dsl.messages import Phrase, phrased
from kzf.engine.compile.context import ResolverContext
from kzf.engine.core import ir
from kzf.engine.core.ir import KINDS, MAX_DEGREE, Trend, normalise_kind

MODEL_FUNCTIONS = ("ols",)
SELECTION_METHODS = ("enter", "forward", "backward", "stepwise")
MODEL_OPTIONS = (*SELECTION_METHODS, "intercept", "interval", "compat")
FORECAST_OPTIONS = ("interval", "compat")
MODEL_TABLES = ("selection", "summary", "anova", "coefficients", "excluded", "residuals")
FORECAST_TABLES = ("forecast", "scenarios", "predictors", "errors", "trends")
# the key columns of each table, after the panel's dimensions for forecast tables
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "selection": ("model",),
    "summary": ("model",),
    "anova": ("model", "source"),
    "coefficients": ("model", "term"),
    "excluded": ("model", "variable"),
    "residuals": ("statistic",),
    "forecast": (),
    "scenarios": ("scenario",),
    "predictors": ("variable",),
    "errors": ("statistic",),
    "trends": ("variable",),
}
TREND_SUMMARY = "trend(x, KIND [, compat] [where CONDITION])"


MAX_POWER = 10  # the highest power a term may take (NIST StRD Filip is a polynomial of degree 10)
TERM_FUNCTIONS = ("poly", "ln")


@dataclass(frozen=True)
class Formed:
    """How kzf forms a term from a variable of the file (its base): `x^power` ("pow"; the
    solver forms the power exactly from the data's x), or ln(x) ("ln")."""

    base: str
    function: str  # "pow" or "ln"
    power: int = 1


@dataclass(frozen=True)
class ModelSpec:
    name: str
    function: str
    dependent: str
    terms: tuple[str, ...]
    method: str
    p_enter: float
    p_remove: float
    intercept: bool
    level: float
    compat: bool
    variables: dict[str, ir.Node]  # the dependent, every term, and the bases of formed terms
    sample: ir.Node | None
    span: Span
    formed: dict[str, Formed] = field(default_factory=dict)  # x^2, ln(x): from their base

    def family(self, term: str) -> str:
        """The polynomial a term belongs to: the base of a power (x for x^2), else itself."""
        form = self.formed.get(term)
        return form.base if form is not None and form.function == "pow" else term


@dataclass(frozen=True)
class ForecastSpec:
    name: str
    model: str
    start: int | None
    end: int
    level: float
    compat: bool
    substitutions: dict[str, str]  # term -> the definition giving its future values
    values: dict[str, ir.Node]  # definition name -> node
    span: Span


@dataclass(frozen=True)
class Models:
    models: dict[str, ModelSpec] = field(default_factory=dict)
    forecasts: dict[str, ForecastSpec] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.models or self.forecasts)

    @property
    def horizon(self) -> int | None:
        """The last forecast year: the panel is extended with the years up to it."""
        return max((f.end for f in self.forecasts.values()), default=None)

    def nodes(self) -> list[ir.Node]:
        found: list[ir.Node] = []
        for m in self.models.values():
            found.extend(m.variables.values())
            if m.sample is not None:
                found.append(m.sample)
        for f in self.forecasts.values():
            found.extend(f.values.values())
        return found


# ---------------------------------------------------------------- trend() in expressions


def resolve_trend(r: ResolverContext, e: ast.Call, env: dict[str, ir.Node]) -> ir.Node:
    """`trend(x, KIND [, compat] [over TIME] [where COND])` → a Trend node (KZF050 if wrong)."""
    bad = ir.Const(float("nan"), type=ir.Type.NUMBER)
    if e.over is not None and e.over.id != r.time_dim:
        r.bag.add(
            localised(
                "KZF015",
                "trend() runs along the time dimension '{time}', not '{given}'",
                e.over.span,
                time=r.time_dim,
                given=e.over.id,
            )
        )
        return bad
    if len(e.args) < 2:
        r.bag.add(
            localised(
                "KZF013",
                "trend() takes 2 or 3 arguments, got {count}: {usage}",
                e.span,
                count=len(e.args),
                usage=TREND_SUMMARY,
            )
        )
        return bad
    x = r.number(e.args[0], env, phrased("the argument of trend()"))
    spec = e.args[1]
    kind_name, degree = None, None
    if isinstance(spec, ast.Name):
        kind_name = spec.id
    elif isinstance(spec, ast.Call) and spec.func in ("poly", "polynomial") and len(spec.args) == 1:
        kind_name = "poly"
        d = spec.args[0]
        if isinstance(d, ast.Number) and d.value == int(d.value) and 1 <= d.value <= MAX_DEGREE:
            degree = int(d.value)
        else:
            r.bag.add(
                localised(
                    "KZF050",
                    "the degree of a polynomial trend is a whole number from 1 to {most}",
                    d.span,
                    most=MAX_DEGREE,
                )
            )
            return bad
    known = [k for k in KINDS if k != "poly"] + ["poly(d)"]
    if kind_name is None or (kind_name not in KINDS and kind_name != "polynomial"):
        shown = kind_name or "this"
        which, near = nearest(shown, KINDS)
        r.bag.add(
            localised(
                "KZF050",
                (
                    "unknown trend kind '{name}'; the kinds are {kinds}",
                    "unknown trend kind '{name}'; did you mean '{suggestion}'?; the kinds are "
                    "{kinds}",
                    "unknown trend kind '{name}'; did you mean '{suggestion}'? ('{name}' has "
                    "{scripts} letters that look alike); the kinds are {kinds}",
                )[which],
                spec.span,
                kinds=", ".join(known),
                **near,
            )
        )
        return bad
    compat = False
    if len(e.args) == 3:
        flag = e.args[2]
        if isinstance(flag, ast.Name) and flag.id == "compat":
            compat = True
        else:
            r.bag.add(
                error(
                    "KZF050",
                    "the third argument of trend() can only be `compat` "
                    "(the published spreadsheet method)",
                    flag.span,
                )
            )
            return bad
    if len(e.args) > 3:
        r.bag.add(
            localised(
                "KZF013", "trend() takes 2 or 3 arguments, got {count}", e.span, count=len(e.args)
            )
        )
        return bad
    where = None
    if e.where is not None:
        where = r.condition(e.where, env, phrased("the `where` condition"))
    kind, deg = normalise_kind(kind_name, degree)
    return Trend(x, where, kind, deg, compat, type=ir.Type.NUMBER, span=e.span)


# ---------------------------------------------------------------- statements


def _level(r: ResolverContext, opt: ast.ModelOption) -> float:
    value = opt.value
    if isinstance(value, float) and 0 < value < 1:
        return value
    if isinstance(value, float) and 50 <= value < 100:  # a percentage: interval 95
        return value / 100
    r.bag.add(
        error(
            "KZF050",
            "`interval` takes a level between 0 and 1 (or a percentage), e.g. interval 0.95",
            opt.span,
        )
    )
    return 0.95


def _variable(r: ResolverContext, name: ast.Name, what: str | Phrase) -> ir.Node:
    return r.number(name, {}, what)


def _check_model(r: ResolverContext, stmt: ast.Model) -> ModelSpec | None:
    ok = True
    if stmt.function.id not in MODEL_FUNCTIONS:
        which, near = nearest(stmt.function.id, MODEL_FUNCTIONS)
        r.bag.add(
            localised(
                "KZF014",
                (
                    "unknown model '{name}'; models: {models}",
                    "unknown model '{name}'; did you mean '{suggestion}'?; models: {models}",
                    "unknown model '{name}'; did you mean '{suggestion}'? ('{name}' has {scripts} "
                    "letters that look alike); models: {models}",
                )[which],
                stmt.function.span,
                models=", ".join(MODEL_FUNCTIONS),
                **near,
            )
        )
        ok = False
    variables: dict[str, ir.Node] = {}
    variables[stmt.dependent.id] = _variable(r, stmt.dependent, phrased("the dependent variable"))
    terms: list[str] = []
    formed: dict[str, Formed] = {}
    for written in stmt.terms:
        expanded = _expand_term(r, written)
        if expanded is None:
            ok = False
            continue
        for name, expr, form in expanded:
            if written.base.id == stmt.dependent.id:
                r.bag.add(
                    localised(
                        "KZF050",
                        "'{name}' is the dependent variable",
                        written.span,
                        name=written.base.id,
                    )
                )
                ok = False
                break
            if name in terms:
                r.bag.add(
                    localised(
                        "KZF011", "the term '{name}' is listed twice", written.span, name=name
                    )
                )
                ok = False
                continue
            terms.append(name)
            variables[name] = r.number(expr, {}, phrased("a term of the model"))
            if form is not None:
                formed[name] = form
                if form.base not in variables:  # the solver forms the power from it
                    variables[form.base] = _variable(
                        r, written.base, phrased("a term of the model")
                    )
    method, p_enter, p_remove = "enter", 0.05, 0.10
    intercept, level, compat = True, 0.95, False
    chosen: ast.ModelOption | None = None
    for opt in stmt.options:
        if opt.name in SELECTION_METHODS:
            if chosen is not None:
                r.bag.add(
                    localised(
                        "KZF050",
                        "two selection methods: `{first}` and `{second}`",
                        opt.span,
                        first=chosen.name,
                        second=opt.name,
                    )
                )
                ok = False
            chosen, method = opt, opt.name
            if opt.value is not None:
                r.bag.add(
                    localised(
                        "KZF050",
                        "write the criteria in brackets: {method}(enter 0.05, remove 0.10)",
                        opt.span,
                        method=opt.name,
                    )
                )
                ok = False
            for key, value in opt.settings:
                if key not in ("enter", "remove"):
                    which, near = nearest(key, ["enter", "remove"])
                    r.bag.add(
                        localised(
                            "KZF050",
                            (
                                "unknown criterion '{name}'; use enter P and remove P",
                                "unknown criterion '{name}'; did you mean '{suggestion}'?; "
                                "use enter P and remove P",
                                "unknown criterion '{name}'; did you mean '{suggestion}'? "
                                "('{name}' has {scripts} letters that look alike); "
                                "use enter P and remove P",
                            )[which],
                            opt.span,
                            **near,
                        )
                    )
                    ok = False
                elif not 0 < value <= 1:
                    r.bag.add(
                        localised(
                            "KZF050",
                            "the {criterion} probability must be in (0, 1]",
                            opt.span,
                            criterion=key,
                        )
                    )
                    ok = False
                elif key == "enter":
                    p_enter = value
                else:
                    p_remove = value
            if p_enter >= p_remove and method == "stepwise":
                r.bag.add(
                    localised(
                        "KZF050",
                        "enter ({enter}) must be below remove ({remove}), "
                        "or a variable could enter and leave forever",
                        opt.span,
                        enter=f"{p_enter:g}",
                        remove=f"{p_remove:g}",
                    )
                )
                ok = False
        elif opt.name == "intercept":
            if opt.value in ("on", "off"):
                intercept = opt.value == "on"
            else:
                r.bag.add(error("KZF050", "write `intercept on` or `intercept off`", opt.span))
                ok = False
        elif opt.name == "interval":
            level = _level(r, opt)
        elif opt.name == "compat":
            compat = True
            if opt.value is not None or opt.settings:
                r.bag.add(error("KZF050", "`compat` takes no value", opt.span))
                ok = False
        else:
            which, near = nearest(opt.name, MODEL_OPTIONS)
            r.bag.add(
                localised(
                    "KZF050",
                    (
                        "unknown model option '{name}'; options: {options}",
                        "unknown model option '{name}'; did you mean '{suggestion}'?; "
                        "options: {options}",
                        "unknown model option '{name}'; did you mean '{suggestion}'? ('{name}' has "
                        "{scripts} letters that look alike); options: {options}",
                    )[which],
                    opt.span,
                    options=", ".join(MODEL_OPTIONS),
                    **near,
                )
            )
            ok = False
    if not terms and not intercept:
        r.bag.add(error("KZF050", "a model without terms needs its intercept", stmt.span))
        ok = False
    sample = None
    if stmt.where is not None:
        sample = r.condition(stmt.where, {}, phrased("the `where` condition"))
    if not ok:
        return None
    return ModelSpec(
        name=stmt.name,
        function=stmt.function.id,
        dependent=stmt.dependent.id,
        terms=tuple(terms),
        method=method,
        p_enter=p_enter,
        p_remove=p_remove,
        intercept=intercept,
        level=level,
        compat=compat,
        variables=variables,
        sample=sample,
        span=stmt.span,
        formed=formed,
    )


def _expand_term(
    r: ResolverContext, term: ast.ModelTerm
) -> list[tuple[str, ast.Expr, Formed | None]] | None:
    """A written term as the terms it stands for: (name, the expression of its values, how
    kzf forms it). `poly(x, 3)` is x, x^2, x^3 (raw powers, as NIST's polynomial sets and
    R's poly(x, 3, raw = TRUE)); None after an error."""
    base, span = term.base, term.span

    def power(p: int) -> tuple[str, ast.Expr, Formed | None]:
        if p == 1:
            return base.id, base, None
        expr = ast.Binary("^", base, ast.Number(float(p), span), span, span)
        return f"{base.id}^{p}", expr, Formed(base.id, "pow", p)

    if term.function is None:
        if term.power is None:
            return [power(1)]
        if not 2 <= term.power <= MAX_POWER:
            r.bag.add(
                localised(
                    "KZF050",
                    "the power of a term is 2 to {most}, e.g. {name}^2",
                    span,
                    most=MAX_POWER,
                    name=base.id,
                )
            )
            return None
        return [power(term.power)]
    function = term.function.id
    if function == "poly":
        if term.power is None or not 1 <= term.power <= MAX_POWER:
            r.bag.add(
                localised(
                    "KZF050",
                    "poly({name}, d) takes a degree d from 1 to {most}",
                    span,
                    name=base.id,
                    most=MAX_POWER,
                )
            )
            return None
        return [power(p) for p in range(1, term.power + 1)]
    if function == "ln":
        if term.power is not None:
            r.bag.add(
                localised("KZF050", "ln() takes one argument: ln({name})", span, name=base.id)
            )
            return None
        call = ast.Call("ln", (base,), None, None, span, term.function.span)
        return [(f"ln({base.id})", call, Formed(base.id, "ln"))]
    which, near = nearest(function, TERM_FUNCTIONS)
    r.bag.add(
        localised(
            "KZF050",
            (
                "unknown term function '{name}'; a term is a name, a power (x^2), poly(x, d) or "
                "ln(x)",
                "unknown term function '{name}'; did you mean '{suggestion}'?; "
                "a term is a name, a power (x^2), poly(x, d) or ln(x)",
                "unknown term function '{name}'; did you mean '{suggestion}'? ('{name}' has "
                "{scripts} letters that look alike); a term is a name, a power (x^2), poly(x, d) "
                "or ln(x)",
            )[which],
            term.function.span,
            **near,
        )
    )
    return None


def _check_forecast(
    r: ResolverContext, stmt: ast.Forecast, models: dict[str, ModelSpec], model_names: list[str]
) -> ForecastSpec | None:
    ok = True
    spec = models.get(stmt.model.id)
    if stmt.model.id not in model_names:
        r.bag.add(
            localised_unknown(
                "KZF010",
                (
                    "no model named '{name}'",
                    "no model named '{name}'; did you mean '{suggestion}'?",
                    "no model named '{name}'; did you mean '{suggestion}'? ('{name}' has {scripts} "
                    "letters that look alike)",
                ),
                stmt.model.id,
                model_names,
                stmt.model.span,
            )
        )
        ok = False
    if stmt.start is not None and stmt.start > stmt.end:
        r.bag.add(
            localised(
                "KZF050",
                "the forecast runs from {start} to {end}",
                stmt.span,
                start=stmt.start,
                end=stmt.end,
            )
        )
        ok = False
    substitutions: dict[str, str] = {}
    values: dict[str, ir.Node] = {}
    for term, value in stmt.substitutions:
        bases = {f.base for f in spec.formed.values()} if spec is not None else set()
        if spec is not None and term.id not in spec.terms and term.id not in bases:
            r.bag.add(
                localised_unknown(
                    "KZF050",
                    (
                        "'{name}' is not a term of model '{model}'",
                        "'{name}' is not a term of model '{model}'; did you mean '{suggestion}'?",
                        "'{name}' is not a term of model '{model}'; did you mean '{suggestion}'? "
                        "('{name}' has {scripts} letters that look alike)",
                    ),
                    term.id,
                    spec.terms,
                    term.span,
                    model=spec.name,
                )
            )
            ok = False
            continue
        if term.id in substitutions:
            r.bag.add(localised("KZF011", "'{name}' is given twice", term.span, name=term.id))
            ok = False
            continue
        substitutions[term.id] = value.id
        values[value.id] = _variable(r, value, phrased("the values of a predictor"))
    level, compat = 0.95, False
    for opt in stmt.options:
        if opt.name == "interval":
            level = _level(r, opt)
        elif opt.name == "compat":
            compat = True
        else:
            which, near = nearest(opt.name, FORECAST_OPTIONS)
            r.bag.add(
                localised(
                    "KZF050",
                    (
                        "unknown forecast option '{name}'; options: {options}",
                        "unknown forecast option '{name}'; did you mean '{suggestion}'?; "
                        "options: {options}",
                        "unknown forecast option '{name}'; did you mean '{suggestion}'? ('{name}' "
                        "has {scripts} letters that look alike); options: {options}",
                    )[which],
                    opt.span,
                    options=", ".join(FORECAST_OPTIONS),
                    **near,
                )
            )
            ok = False
    if not ok or spec is None:
        return None
    return ForecastSpec(
        name=stmt.name,
        model=spec.name,
        start=stmt.start,
        end=stmt.end,
        level=level,
        compat=compat,
        substitutions=substitutions,
        values=values,
        span=stmt.span,
    )


def _check_table_expect(
    r: ResolverContext, stmt: ast.Expect, models: Models, dims: tuple[str, ...]
) -> None:
    owner, _, table = stmt.name.partition(".")
    tables: tuple[str, ...]
    if owner in models.models or any(
        isinstance(s, ast.Model) and s.name == owner for s in r.modules.root.statements
    ):
        tables = MODEL_TABLES
    elif owner in models.forecasts or any(
        isinstance(s, ast.Forecast) and s.name == owner for s in r.modules.root.statements
    ):
        tables = FORECAST_TABLES
    else:
        owners = [*models.models, *models.forecasts]
        r.bag.add(
            localised_unknown(
                "KZF010",
                (
                    "expectation for an unknown model or forecast '{name}'",
                    "expectation for an unknown model or forecast '{name}'; "
                    "did you mean '{suggestion}'?",
                    "expectation for an unknown model or forecast '{name}'; "
                    "did you mean '{suggestion}'? ('{name}' has {scripts} letters that look alike)",
                ),
                owner,
                owners,
                stmt.name_span,
            )
        )
        return
    if table not in tables:
        which, near = nearest(table, tables)
        r.bag.add(
            localised(
                "KZF010",
                (
                    "'{owner}' has no table '{name}'; its tables: {tables}",
                    "'{owner}' has no table '{name}'; did you mean '{suggestion}'?; "
                    "its tables: {tables}",
                    "'{owner}' has no table '{name}'; did you mean '{suggestion}'? ('{name}' has "
                    "{scripts} letters that look alike); its tables: {tables}",
                )[which],
                stmt.name_span,
                owner=owner,
                tables=", ".join(tables),
                **near,
            )
        )
        return
    keys = TABLE_KEYS[table]
    if tables is FORECAST_TABLES and table not in ("errors", "trends"):
        keys = (*dims, *keys)
    elif tables is FORECAST_TABLES:
        keys = (*(d for d in dims if d != r.time_dim), *keys)
    if len(stmt.key) != len(keys):
        r.bag.add(
            localised(
                "KZF023",
                "a cell of {name} is named by [{keys}]: {count} part(s), not {given}",
                stmt.span,
                name=stmt.name,
                keys=", ".join(keys),
                count=len(keys),
                given=len(stmt.key),
            )
        )


def check_models(r: ResolverContext) -> Models:
    """Check the model, forecast and table-expect statements of the root file."""
    root = r.modules.root
    models: dict[str, ModelSpec] = {}
    forecasts: dict[str, ForecastSpec] = {}
    model_names = [s.name for s in root.statements if isinstance(s, ast.Model)]
    for stmt in root.statements:
        if isinstance(stmt, ast.Model) and r.claim(stmt.name, stmt.name_span):
            spec = _check_model(r, stmt)
            if spec is not None:
                models[stmt.name] = spec
    for stmt in root.statements:
        if isinstance(stmt, ast.Forecast) and r.claim(stmt.name, stmt.name_span):
            fspec = _check_forecast(r, stmt, models, model_names)
            if fspec is not None:
                forecasts[stmt.name] = fspec
    result = Models(models, forecasts)
    for stmt in root.statements:
        if isinstance(stmt, ast.Expect) and stmt.column is not None:
            _check_table_expect(r, stmt, result, r.dims)
    return result
