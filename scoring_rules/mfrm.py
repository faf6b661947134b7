"""The many-facet Rasch model (MFRM): judge severity on one logit scale, and fair scores.

Referees at different sites are not equally severe. The MFRM puts contestants, referees and
aspects on one scale: the log-odds of a contestant scoring ``k`` rather than ``k - 1`` is

    theta[person] - sum of the elements' measures (aspect difficulty, referee severity, ...) - tau[k]

where ``tau`` are the thresholds between neighbouring categories: one set shared by every rating
(rating scale model) or one per element of a facet, usually the aspect (partial credit model).
A positive measure makes a high score less likely: a severe referee, a hard aspect. Each facet's
measures sum to zero, and so do each set of thresholds.

Estimation is marginal maximum likelihood, as TAM's ``tam.mml.mfr`` does: abilities follow a
normal distribution whose mean and spread are estimated with the facets, integrated over on a fine
grid (0.1 logit), so contestants with every rating at the top or bottom need no special case.
Persons then get expected a-posteriori measures. The gradient is exact, the optimiser is scipy's
L-BFGS. Published estimates of a 21-rater study are reproduced in the tests.

Severity can only be told from ability where the same people are judged by different referees.
When referees and contestants fall apart into groups that share no rating (every site judging
only its own contestants), a difference between the groups' referees is indistinguishable from a
difference between their contestants: ``fit`` refuses such a design and names the groups, unless
told that the groups may be assumed equally able (``assume_equal_groups``).

Pure: numpy and scipy, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Mapping, Sequence

import networkx as nx
import numpy as np
from scipy.optimize import minimize
from scipy.sparse import csr_matrix


_RESTARTS = 5  # L-BFGS runs, each from where the last stopped, before a fit is called unconverged


class DesignError(ValueError):
    """The ratings cannot give the measures asked for; the message says why."""


class DisconnectedDesign(DesignError):
    """Referees and persons fall apart into groups that share no rating."""

    def __init__(self, facet: str, groups: list[tuple[list, list]]):
        self.facet = facet
        self.groups = groups
        described = "; ".join(f"{facet} {', '.join(map(str, elements[:5]))}{' …' if len(elements) > 5 else ''}"
                              f" with {len(persons)} person(s)" for elements, persons in groups)
        super().__init__(f"the {facet} facet falls apart into {len(groups)} groups that share no rated person "
                         f"({described}): severity cannot be told from ability across them. Link them (a referee "
                         f"who rates in several groups, or common samples every panel rates), or pass "
                         f"assume_equal_groups=True to assume the groups are equally able.")


@dataclass(frozen=True)
class Measure:
    """One element's measure in logits (positive: harder, or more severe), its standard error,
    and how well its ratings fit the model (mean squares; 1 is expected, under 0.5 too
    predictable, over 1.5 erratic)."""

    estimate: float
    se: float
    infit: float
    outfit: float
    count: int


@dataclass(frozen=True)
class PersonMeasure:
    """A person's expected a-posteriori ability and its posterior standard deviation."""

    estimate: float
    se: float
    count: int


@dataclass
class MfrmFit:
    facets: dict[str, dict[Hashable, Measure]]
    thresholds: dict[Hashable, tuple[float, ...]]  # step group (None: one shared scale) → tau_1..tau_m
    persons: dict[Hashable, PersonMeasure]
    population_mean: float
    population_sd: float
    deviance: float
    iterations: int
    steps_by: str | None
    max_score: dict[Hashable, int]
    groups: list[tuple[list, list]] = field(default_factory=list)  # when assumed equal: the groups found

    def expected_score(self, ability: float, elements: Mapping[str, Hashable] | None = None) -> float:
        """The expected rating of a person of ``ability`` with the given facet elements; a facet
        left out stands at its mean (0): the average referee, say. The thresholds are those of
        ``elements[steps_by]`` under the partial credit model."""
        elements = dict(elements or {})
        eta = ability - sum(self.facets[name][element].estimate for name, element in elements.items())
        group = elements.get(self.steps_by) if self.steps_by else None
        return float(_expected(np.array([eta]), np.asarray(self.thresholds[group]))[0])

    def fair_score(self, person: Hashable, elements: Mapping[str, Hashable] | None = None) -> float:
        """What ``person`` would be expected to score with every facet not named in ``elements``
        at its mean: the rating an average referee would give (Facets' "fair average")."""
        return self.expected_score(self.persons[person].estimate, elements)


def fit(persons: Sequence[Hashable], facets: Mapping[str, Sequence[Hashable]], scores: Sequence[int], *,
        max_score: int | Mapping[Hashable, int], steps_by: str | None = None, severity_facet: str | None = None,
        assume_equal_groups: bool = False, quadrature: Sequence[float] | None = None, tolerance: float = 1e-9,
        gradient_tolerance: float = 1e-6) -> MfrmFit:
    """Fit the MFRM to ratings: ``persons[n]`` got ``scores[n]`` (0..max) from the elements
    ``facets[name][n]``.

    ``max_score``: the top category, one for all or per element of ``steps_by``.
    ``steps_by``: None for one rating scale, or the facet whose elements each have their own
    thresholds (partial credit). ``severity_facet``: the facet whose connectedness through
    persons is checked (default: every facet but ``steps_by``). ``quadrature``: the ability nodes
    (default a 0.1-logit grid over ±12; ``numpy.linspace(-6, 6, 21)`` is TAM's)."""
    scores = np.asarray(scores, dtype=np.int64)
    count = len(scores)
    if count == 0:
        raise DesignError("no ratings to fit")
    if len(persons) != count or any(len(column) != count for column in facets.values()):
        raise DesignError("persons, every facet column and scores must have one entry per rating")
    if steps_by is not None and steps_by not in facets:
        raise DesignError(f"steps_by: no facet named {steps_by!r}")
    person_codes, person_ids = _codes(persons)
    facet_codes = {name: _codes(column) for name, column in facets.items()}
    groups = _check_connected(person_codes, person_ids, facet_codes,
                              [severity_facet] if severity_facet else [f for f in facets if f != steps_by],
                              assume_equal_groups)

    # Threshold groups: one shared scale, or one per element of steps_by.
    if steps_by is None:
        group_of = np.zeros(count, dtype=np.int64)
        group_ids: list = [None]
    else:
        group_of, group_ids = facet_codes[steps_by]
    tops = np.array([_top(max_score, g) for g in group_ids], dtype=np.int64)
    if (scores < 0).any():
        raise DesignError(f"rating {int(np.argmax(scores < 0)) + 1}: a score below 0")
    over = scores > tops[group_of]
    if over.any():
        n = int(np.argmax(over))
        raise DesignError(f"rating {n + 1}: score {int(scores[n])} above the top category {int(tops[group_of[n]])}")
    for g, top in enumerate(tops):
        used = np.bincount(scores[group_of == g], minlength=top + 1)
        if (used == 0).any():
            missing = [int(k) for k in np.flatnonzero(used == 0)]
            where = "" if group_ids[g] is None else f" of {steps_by} {group_ids[g]}"
            raise DesignError(f"category {missing}{where} never used: its threshold cannot be estimated "
                              "(collapse it with a neighbour, or fit with a lower max_score)")

    model = _Model(scores, person_codes, len(person_ids), {name: codes for name, (codes, _) in facet_codes.items()},
                   {name: len(ids) for name, (_, ids) in facet_codes.items()}, group_of, tops, quadrature)
    # L-BFGS can stop on a tiny step in a flat stretch well before the optimum (seen: a deviance
    # 300 above it); it is restarted from where it stopped until the gradient itself is small:
    # ``gradient_tolerance`` per rating, so an element's estimate is off by less than about that
    # many logits over its information per rating (1e-6 / 0.5: far below any standard error).
    limit = gradient_tolerance * count
    result, iterations = None, 0
    for _ in range(_RESTARTS):
        result = minimize(model.objective, np.zeros(model.size) if result is None else result.x, jac=True,
                          method="L-BFGS-B", options={"maxiter": 5000, "maxcor": 30, "ftol": tolerance * 1e-3,
                                                      "gtol": limit * 1e-3})
        iterations += result.nit
        if np.abs(result.jac).max() <= limit:
            break
    else:
        raise DesignError(f"the fit did not converge ({result.message}; largest gradient "
                          f"{np.abs(result.jac).max():.2g} after {iterations} iterations)")
    return model.summarise(result.x, iterations, person_ids,
                           {name: ids for name, (_, ids) in facet_codes.items()}, group_ids, steps_by, groups)


def _codes(column: Sequence[Hashable]) -> tuple[np.ndarray, list]:
    """Dense codes 0..k-1 for a column's values, in sorted order where they sort."""
    values = list(dict.fromkeys(column))
    try:
        values.sort()
    except TypeError:
        pass
    index = {value: code for code, value in enumerate(values)}
    return np.fromiter((index[v] for v in column), dtype=np.int64, count=len(column)), values


def _top(max_score: int | Mapping[Hashable, int], group: Hashable) -> int:
    if isinstance(max_score, Mapping):
        if group not in max_score:
            raise DesignError(f"max_score: no top category for {group!r}")
        top = max_score[group]
    else:
        top = max_score
    if not isinstance(top, (int, np.integer)) or top < 1:
        raise DesignError(f"max_score: the top category must be a whole number of at least 1, not {top!r}")
    return int(top)


def _check_connected(person_codes, person_ids, facet_codes, checked: list[str], assume_equal: bool) -> list:
    """Refuse (or, when assumed equal, report) groups of elements and persons that share no rating."""
    found = []
    for name in checked:
        codes, ids = facet_codes[name]
        graph = nx.Graph()
        graph.add_nodes_from(("e", e) for e in range(len(ids)))
        graph.add_edges_from((("e", e), ("p", p)) for e, p in zip(codes.tolist(), person_codes.tolist()))
        parts = list(nx.connected_components(graph))
        if len(parts) > 1:
            groups = sorted(([ids[e] for kind, e in sorted(part) if kind == "e"],
                             [person_ids[p] for kind, p in sorted(part) if kind == "p"]) for part in parts)
            if not assume_equal:
                raise DisconnectedDesign(name, groups)
            found = groups
    return found


def logsumexp(values: np.ndarray, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
    """log(sum(exp(values))) without overflow. scipy's own spends most of a fit checking its
    arguments (array-API dispatch): this is the arithmetic alone. Rows need one finite entry."""
    top = np.max(values, axis=axis, keepdims=True)
    out = top + np.log(np.sum(np.exp(values - top), axis=axis, keepdims=True))
    return out if keepdims else (out.reshape(()) if axis is None else np.squeeze(out, axis=axis))


def _expected(eta: np.ndarray, tau: np.ndarray) -> np.ndarray:
    steps = np.arange(len(tau) + 1)
    logits = steps[None, :] * eta[:, None] - np.concatenate(([0.0], np.cumsum(tau)))[None, :]
    probabilities = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
    return probabilities @ steps


class _Model:
    """The marginal likelihood and its gradient over packed parameters:
    [mean, log sd, each facet's first k-1 measures (the last is minus their sum), each group's
    first m-1 thresholds (the last is minus their sum)].

    A rating's probability depends only on its pattern (its elements and threshold group), its
    score and the ability, so the work is done on a table of patterns × scores × ability nodes and
    summed into persons by one sparse product: a contest's thousands of ratings share a few
    hundred referee × aspect patterns. Abilities sit on a fine fixed grid (``GRID``) weighted by
    the normal population density: a person rated a hundred times has a sharp likelihood (a
    posterior SD near 0.15 logit), which Gauss–Hermite nodes spaced a logit apart integrate badly
    (the population variance came out at half its value). On a 0.1-logit grid the rectangle rule's
    error for such a peak is below 1e-9; halving the step changed no estimate in its fifth decimal."""

    GRID = np.linspace(-12.0, 12.0, 241)

    def __init__(self, scores, person_codes, person_count, facet_codes, facet_sizes, group_of, tops, quadrature=None):
        self.scores, self.persons, self.person_count = scores, person_codes, person_count
        self.facet_codes, self.facet_sizes = facet_codes, facet_sizes
        self.tops, self.max_top = tops, int(tops.max())
        self.theta = self.GRID if quadrature is None else np.asarray(quadrature, dtype=float)
        names = list(facet_codes)
        columns = np.stack([facet_codes[name] for name in names] + [group_of], axis=1)
        patterns, self.pattern_of = np.unique(columns, axis=0, return_inverse=True)
        self.pattern_of = self.pattern_of.reshape(-1)
        self.pattern_elements = {name: patterns[:, i] for i, name in enumerate(names)}
        self.pattern_group = patterns[:, -1]
        width = self.max_top + 1
        self.counts = csr_matrix((np.ones(len(scores)), (person_codes, scores * len(patterns) + self.pattern_of)),
                                 shape=(person_count, len(patterns) * width))
        self.pattern_count = len(patterns)
        self.facet_slices, offset = {}, 2
        for name, size in facet_sizes.items():
            self.facet_slices[name] = slice(offset, offset + size - 1)
            offset += size - 1
        self.group_slices = []
        for top in tops:
            self.group_slices.append(slice(offset, offset + top - 1))
            offset += top - 1
        self.size = offset

    @staticmethod
    def _sum_zero(free: np.ndarray) -> np.ndarray:
        return np.append(free, -free.sum())

    def unpack(self, x):
        mean, sd = x[0], np.exp(x[1])
        measures = {name: self._sum_zero(x[s]) for name, s in self.facet_slices.items()}
        thresholds = [self._sum_zero(x[s]) for s in self.group_slices]
        return mean, sd, measures, thresholds

    def _cumulative(self, thresholds) -> np.ndarray:
        """Per group: 0, tau_1, tau_1 + tau_2, ... padded with +inf past its top category."""
        table = np.full((len(thresholds), self.max_top + 1), np.inf)
        for g, tau in enumerate(thresholds):
            table[g, : len(tau) + 1] = np.concatenate(([0.0], np.cumsum(tau)))
        return table

    def _pattern_offsets(self, measures) -> np.ndarray:
        offset = np.zeros(self.pattern_count)
        for name, elements in self.pattern_elements.items():
            offset += measures[name][elements]
        return offset

    def _tables(self, x):
        """Log probabilities per score × pattern × node (score-major: the few categories are
        looped over, each a contiguous pattern × node slab), and the nodes' log weights under the
        population density."""
        mean, sd, measures, thresholds = self.unpack(x)
        cumulative = self._cumulative(thresholds)[self.pattern_group]  # C × (K+1)
        eta = self.theta[None, :] - self._pattern_offsets(measures)[:, None]  # C × Q
        logits = [k * eta - cumulative[:, k, None] for k in range(self.max_top + 1)]
        top = logits[0].copy()
        for layer in logits[1:]:
            np.maximum(top, layer, out=top)
        total = np.zeros_like(top)
        for layer in logits:
            total += np.exp(layer - top)
        norm = top + np.log(total)
        log_p = np.stack([layer - norm for layer in logits])  # (K+1) × C × Q
        z = (self.theta - mean) / sd
        log_weights = -0.5 * z ** 2
        log_weights -= logsumexp(log_weights)
        return mean, sd, log_p, log_weights, z

    def _posterior(self, log_p, log_weights):
        # person × node: the sum of each rating's log probability at that node, by one product.
        table = log_p.reshape(-1, len(self.theta))  # ((K+1)·C) × Q, row = score · C + pattern
        table = np.where(np.isfinite(table), table, 0.0)  # impossible categories are never counted
        joint = self.counts @ table + log_weights[None, :]
        marginal = logsumexp(joint, axis=1)
        return np.exp(joint - marginal[:, None]), marginal

    def objective(self, x):
        mean, sd, log_p, log_weights, z = self._tables(x)
        posterior, marginal = self._posterior(log_p, log_weights)
        probabilities = np.exp(log_p)  # (K+1) × C × Q
        width = self.max_top + 1
        # Each score-and-pattern's share of the posterior mass, per node.
        mass = (self.counts.T @ posterior).reshape(width, self.pattern_count, -1)  # (K+1) × C × Q
        gradient = np.zeros(self.size)
        weight = posterior.sum(axis=0)  # Q: expected persons at each node
        # Node weights are the normal density, normalised over the grid: d log w / d mean and
        # d log w / d log sd, each less its weighted average (the normalisation's share).
        node_weights = np.exp(log_weights)
        persons = len(marginal)
        gradient[0] = (weight @ z - persons * (node_weights @ z)) / sd
        gradient[1] = weight @ z ** 2 - persons * (node_weights @ z ** 2)
        # d log P(k) / d eta = k - E[score]; eta falls as the pattern's offset rises.
        expected = sum(k * probabilities[k] for k in range(1, width))  # C × Q
        total = mass.sum(axis=0)  # C × Q: the pattern's ratings at each node
        scored = sum(k * mass[k] for k in range(1, width))
        per_pattern = -(scored - expected * total).sum(axis=1)
        for name, elements in self.pattern_elements.items():
            full = np.bincount(elements, weights=per_pattern, minlength=self.facet_sizes[name])
            gradient[self.facet_slices[name]] = full[:-1] - full[-1]
        # d log P(k) / d T_j = P_j - [k = j]; tau_i moves every T_j with j >= i.
        by_category = np.stack([(total * probabilities[j]).sum(axis=1) - mass[j].sum(axis=1)
                                for j in range(width)], axis=1)  # C × (K+1)
        tail = np.cumsum(by_category[:, ::-1], axis=1)[:, ::-1]
        for g, s in enumerate(self.group_slices):
            top = int(self.tops[g])
            full = tail[self.pattern_group == g][:, 1: top + 1].sum(axis=0)
            gradient[s] = full[:-1] - full[-1]
        return -marginal.sum(), -gradient

    def summarise(self, x, iterations, person_ids, facet_ids, group_ids, steps_by, groups) -> MfrmFit:
        mean, sd, log_p, log_weights, _ = self._tables(x)
        _, _, measures, thresholds = self.unpack(x)
        posterior, marginal = self._posterior(log_p, log_weights)
        eap = posterior @ self.theta
        eap_sd = np.sqrt(np.maximum(posterior @ self.theta ** 2 - eap ** 2, 0.0))
        # Element statistics at each person's EAP: residuals, model variance, fit mean squares.
        steps = np.arange(self.max_top + 1)
        cumulative = self._cumulative(thresholds)[self.pattern_group][self.pattern_of]
        eta = eap[self.persons] - self._pattern_offsets(measures)[self.pattern_of]
        logits = steps[None, :] * eta[:, None] - cumulative
        probabilities = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
        expected = probabilities @ steps
        variance = np.maximum(probabilities @ steps ** 2 - expected ** 2, 1e-12)
        squared = (self.scores - expected) ** 2
        counts = np.bincount(self.persons, minlength=self.person_count)
        facets = {}
        for name, codes in self.facet_codes.items():
            size = self.facet_sizes[name]
            information = np.bincount(codes, weights=variance, minlength=size)
            used = np.bincount(codes, minlength=size)
            infit = np.bincount(codes, weights=squared, minlength=size) / information
            outfit = np.bincount(codes, weights=squared / variance, minlength=size) / used
            facets[name] = {element: Measure(float(measures[name][e]), float(1 / np.sqrt(information[e])),
                                             float(infit[e]), float(outfit[e]), int(used[e]))
                            for e, element in enumerate(facet_ids[name])}
        return MfrmFit(
            facets=facets,
            thresholds={group: tuple(float(t) for t in thresholds[g]) for g, group in enumerate(group_ids)},
            persons={person: PersonMeasure(float(eap[p]), float(eap_sd[p]), int(counts[p]))
                     for p, person in enumerate(person_ids)},
            population_mean=float(mean), population_sd=float(sd), deviance=float(-2 * marginal.sum()),
            iterations=int(iterations), steps_by=steps_by,
            max_score={group: int(self.tops[g]) for g, group in enumerate(group_ids)}, groups=groups)
