#!/usr/bin/python3
"""Generate the parity fixtures of @mlops/drift's statistics from scipy/numpy.

Run with Debian's python3-scipy (scipy 1.10):  /usr/bin/python3 packages/drift/scripts/gen-fixtures.py
Writes packages/drift/test/fixtures/*.json. Inputs are stored either inline (null = missing value) or as a
generator spec {"gen": {...}} that packages/drift/test/prng.ts reproduces bit for bit (xorshift32; normal values
are Irwin-Hall sums of 12 uniforms, which are exact dyadic rationals, so both languages get the same doubles).
The PSI/binning references implement the rules of issue 5 in numpy (quantile, Evidently 0.7 get_binned_data).
"""
import json
import math
import os
import sys

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
M32 = 0xFFFFFFFF


def xorshift(seed):
    x = (seed & M32) or 0x9E3779B9
    while True:
        x ^= (x << 13) & M32
        x ^= x >> 17
        x ^= (x << 5) & M32
        yield x / 4294967296.0


def gen(spec):
    rng = xorshift(spec['seed'])
    n = spec['n']
    kind = spec['kind']
    out = np.empty(n)
    if kind == 'normal':
        loc, scale = spec.get('loc', 0.0), spec.get('scale', 1.0)
        for i in range(n):
            s = 0.0
            for _ in range(12):
                s += next(rng)
            out[i] = (s - 6.0) * scale + loc
    elif kind == 'int':
        k, offset = spec['k'], spec.get('offset', 0)
        for i in range(n):
            out[i] = math.floor(next(rng) * k) + offset
    elif kind == 'uniform':
        lo, hi = spec.get('lo', 0.0), spec.get('hi', 1.0)
        for i in range(n):
            out[i] = next(rng) * (hi - lo) + lo
    else:
        raise ValueError(kind)
    return out


def G(**spec):
    return {'gen': spec}


def materialize(x):
    """Returns (stored form, numpy array without missing values, dropped count)."""
    if isinstance(x, dict) and 'gen' in x:
        return x, gen(x['gen']), 0
    arr = [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in x]
    vals = np.array([v for v in arr if v is not None], dtype=float)
    return arr, vals, sum(1 for v in arr if v is None)


def clean_num(v):
    if isinstance(v, (np.floating, float)):
        v = float(v)
        if math.isnan(v):
            return 'NaN'
        if math.isinf(v):
            return 'Infinity' if v > 0 else '-Infinity'
        return v
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (list, tuple, np.ndarray)):
        return [clean_num(u) for u in v]
    if isinstance(v, dict):
        return {k: clean_num(u) for k, u in v.items()}
    return v


def write(name, cases):
    doc = {
        'generatedBy': 'packages/drift/scripts/gen-fixtures.py',
        'scipy': scipy.__version__,
        'numpy': np.__version__,
        'cases': clean_num(cases),
    }
    path = os.path.join(OUT, name + '.json')
    with open(path, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    print(f'{path}: {len(cases)} cases, {os.path.getsize(path)} bytes')


def r(vals, nd=4):
    return [round(float(v), nd) for v in vals]


rs = np.random.default_rng(20240605)


def normal(n, loc=0.0, scale=1.0, nd=4):
    return r(rs.normal(loc, scale, n), nd)


def ints(n, k, offset=0):
    return [int(v) for v in rs.integers(0, k, n) + offset]


# ----------------------------------------------------------------------------------------------- numeric pairs
def numeric_pairs():
    pairs = []
    add = lambda name, a, b: pairs.append((name, a, b))
    add('normal-vs-shifted-50-60', normal(50), normal(60, 0.5))
    add('normal-vs-shifted-100-100', normal(100), normal(100, 0.3))
    add('normal-vs-shifted-200-150', normal(200), normal(150, 0.2))
    add('normal-vs-normal-500-700', normal(500), normal(700))
    add('scale-change-300-400', normal(300), normal(400, 0, 1.5))
    add('ties-ints-30-40', ints(30, 5), ints(40, 5, 1))
    add('ties-ints-100-100', ints(100, 6), ints(100, 6))
    add('ties-ints-1000-800', ints(1000, 10), ints(800, 10, 1))
    add('ties-rounded-250-260', normal(250, nd=1), normal(260, 0.1, nd=1))
    add('tiny-1-1', [0.5], [1.5])
    add('tiny-1-2', [0.5], [0.2, 1.5])
    add('tiny-2-3', [0.1, 2.0], [0.5, 1.5, 3.0])
    add('tiny-3-3', [1.0, 2.0, 3.0], [1.5, 2.5, 3.5])
    add('tiny-4-5', [0.3, -1.2, 2.2, 0.9], [1.1, 1.9, 3.3, 0.2, 2.8])
    add('tiny-5-5-ties', [1, 1, 2, 2, 3], [2, 2, 3, 3, 4])
    add('tiny-1-5', [10.0], [1.0, 2.0, 3.0, 4.0, 5.0])
    same = normal(80)
    add('identical-80', same, list(same))
    add('constant-equal', [3.0] * 20, [3.0] * 25)
    add('constant-different', [3.0] * 20, [4.0] * 25)
    add('constant-vs-spread', [2.0] * 30, normal(30, 2.0))
    add('with-missing', [1.2, None, 0.4, float('nan'), 2.2, 1.9, 0.1, None, 3.3, 1.1, 0.7, 2.5],
        [2.1, 3.4, None, 1.8, 2.9, 4.1, float('nan'), 3.7, 2.2, 3.0])
    add('negative-and-zero', [-0.0, 0.0, -1.5, 2.0, -3.25, 0.0, 1.0], [0.0, 0.5, -0.5, 1.5, 2.5])
    return pairs


def large_pairs():
    return [
        ('gen-normal-20000-shift-0.02', G(kind='normal', seed=11, n=20000), G(kind='normal', seed=12, n=20000, loc=0.02)),
        ('gen-normal-20000-shift-0.1', G(kind='normal', seed=13, n=20000), G(kind='normal', seed=14, n=20000, loc=0.1)),
        ('gen-ints-20000-15000', G(kind='int', seed=15, n=20000, k=50), G(kind='int', seed=16, n=15000, k=51)),
    ]


# ----------------------------------------------------------------------------------------------- KS
def ks_cases():
    cases = []
    for name, a, b in numeric_pairs():
        sa, va, da = materialize(a)
        sb, vb, db = materialize(b)
        for method in ['auto', 'exact', 'asymp']:
            for alt in ['two-sided', 'less', 'greater']:
                if method != 'auto' and alt != 'two-sided' and len(va) > 100:
                    continue
                with np.errstate(all='ignore'):
                    import warnings
                    with warnings.catch_warnings():
                        warnings.simplefilter('ignore')
                        res = stats.ks_2samp(va, vb, alternative=alt, method=method)
                cases.append({'name': f'{name}/{method}/{alt}', 'reference': sa, 'current': sb,
                              'options': {'method': method, 'alternative': alt},
                              'expected': {'statistic': res.statistic, 'pValue': res.pvalue,
                                           'statisticLocation': res.statistic_location,
                                           'statisticSign': int(res.statistic_sign),
                                           'dropped': {'reference': da, 'current': db}}})
    switch = [
        ('switch-10000-10000', G(kind='normal', seed=1, n=10000), G(kind='normal', seed=2, n=10000, loc=0.03), ['auto']),
        ('switch-10000-9000', G(kind='normal', seed=3, n=10000), G(kind='normal', seed=4, n=9000, loc=0.03), ['auto']),
        ('switch-10001-9999', G(kind='normal', seed=5, n=10001), G(kind='normal', seed=6, n=9999, loc=0.03), ['auto', 'exact']),
        ('switch-10001-10001-ties', G(kind='int', seed=7, n=10001, k=20), G(kind='int', seed=8, n=10001, k=20), ['auto']),
        ('asymp-small-sizes', G(kind='normal', seed=9, n=120), G(kind='normal', seed=10, n=90, loc=0.4), ['asymp']),
        ('asymp-7-9', G(kind='normal', seed=21, n=7), G(kind='normal', seed=22, n=9, loc=1.0), ['asymp', 'exact']),
    ] + [(n, a, b, ['auto']) for n, a, b in large_pairs()]
    for name, a, b, methods in switch:
        _, va, _ = materialize(a)
        _, vb, _ = materialize(b)
        for method in methods:
            for alt in ['two-sided', 'greater']:
                import warnings
                with warnings.catch_warnings():
                    warnings.simplefilter('ignore')
                    res = stats.ks_2samp(va, vb, alternative=alt, method=method)
                cases.append({'name': f'{name}/{method}/{alt}', 'reference': a, 'current': b,
                              'options': {'method': method, 'alternative': alt},
                              'expected': {'statistic': res.statistic, 'pValue': res.pvalue,
                                           'statisticLocation': res.statistic_location,
                                           'statisticSign': int(res.statistic_sign),
                                           'dropped': {'reference': 0, 'current': 0}}})
    return cases


# ----------------------------------------------------------------------------------------------- binning (issue 5)
def quantile_shares(ref, cur, bins):
    edges = np.quantile(ref, np.linspace(0, 1, bins + 1))  # numpy default: linear interpolation
    inner = np.unique(edges[1:-1])  # outer edges open, repeated edges merged
    # bin index = number of inner edges <= x: bins are [e_i, e_{i+1}), like numpy.histogram's interior bins
    rc = np.bincount(np.searchsorted(inner, ref, side='right'), minlength=len(inner) + 1) / len(ref)
    cc = np.bincount(np.searchsorted(inner, cur, side='right'), minlength=len(inner) + 1) / len(cur)
    rc = np.where(rc == 0, 1e-4, rc)
    cc = np.where(cc == 0, 1e-4, cc)
    return rc, cc


def evidently_floor(p):
    p = p.copy()
    nz = p[p != 0]
    fill = nz.min() / 10**6 if nz.min() <= 0.0001 else 0.0001
    np.place(p, p == 0, fill)
    return p


def raw_binned(ref, cur, binning, bins=None):
    """Unfloored shares: Evidently 0.7 get_binned_data ('sturges') or equal-width histogram ('equal-width')."""
    if binning == 'sturges' and len(np.unique(ref)) <= 20:
        keys = sorted(set(ref.tolist()) | set(cur.tolist()))
        rp = np.array([np.sum(ref == k) for k in keys]) / len(ref)
        cp = np.array([np.sum(cur == k) for k in keys]) / len(cur)
        return rp, cp
    both = np.concatenate([ref, cur])
    edges = np.histogram_bin_edges(both, bins='sturges' if binning == 'sturges' else bins)
    return np.histogram(ref, edges)[0] / len(ref), np.histogram(cur, edges)[0] / len(cur)


def cat_shares(ref, cur):
    keys = sorted(set(ref) | set(cur))
    rp = np.array([ref.count(k) for k in keys]) / len(ref)
    cp = np.array([cur.count(k) for k in keys]) / len(cur)
    return rp, cp


def psi_value(rp, cp):
    return float(np.sum((cp - rp) * np.log(cp / rp)))


def psi_cases():
    cases = []
    pairs = numeric_pairs() + large_pairs()[:1]
    for name, a, b in pairs:
        sa, va, da = materialize(a)
        sb, vb, db = materialize(b)
        for binning, bins in [('quantile', 10), ('quantile', 4), ('sturges', None), ('equal-width', 10), ('equal-width', 3)]:
            if binning == 'quantile':
                rp, cp = quantile_shares(va, vb, bins)
            else:
                rp, cp = raw_binned(va, vb, binning, bins)
                rp, cp = evidently_floor(rp), evidently_floor(cp)
            opts = {'binning': binning}
            if bins is not None:
                opts['bins'] = bins
            cases.append({'name': f'{name}/{binning}/{bins}', 'reference': sa, 'current': sb, 'options': opts,
                          'expected': {'value': psi_value(rp, cp), 'dropped': {'reference': da, 'current': db}}})
    return cases


# ----------------------------------------------------------------------------------------------- distances
def wasserstein_cases():
    cases = []
    for name, a, b in numeric_pairs() + large_pairs():
        sa, va, da = materialize(a)
        sb, vb, db = materialize(b)
        w = stats.wasserstein_distance(va, vb)
        norm = w / max(np.std(va), 0.001)
        e = stats.energy_distance(va, vb)
        cases.append({'name': name, 'reference': sa, 'current': sb,
                      'expected': {'wasserstein': w, 'wassersteinNormalized': norm, 'energy': e,
                                   'dropped': {'reference': da, 'current': db}}})
    return cases


def divergence_expected(rp, cp, frp, fcp, base):
    # frp/fcp: floored shares (Evidently) for the log-based measures; rp/cp: raw shares for Hellinger/TV.
    js = distance.jensenshannon(frp, fcp, base=base)
    kl = stats.entropy(frp, fcp, base=base)
    p = rp / rp.sum()
    q = cp / cp.sum()
    hell = math.sqrt(max(0.0, 1.0 - float(np.sum(np.sqrt(p * q)))))
    hell_ref = float(distance.euclidean(np.sqrt(p), np.sqrt(q)) / math.sqrt(2))
    tv = 0.5 * float(np.sum(np.abs(p - q)))
    return {'jensenShannon': js, 'kl': kl, 'hellinger': hell_ref, 'hellingerAlt': hell, 'totalVariation': tv}


def divergence_cases():
    cases = []
    for name, a, b in numeric_pairs() + large_pairs()[:1]:
        sa, va, da = materialize(a)
        sb, vb, db = materialize(b)
        for bins in ['sturges', 10]:
            rp, cp = raw_binned(va, vb, 'sturges' if bins == 'sturges' else 'equal-width', None if bins == 'sturges' else bins)
            frp, fcp = evidently_floor(rp), evidently_floor(cp)
            for base in [None, 2]:
                exp = divergence_expected(rp, cp, frp, fcp, base)
                exp['dropped'] = {'reference': da, 'current': db}
                opts = {'bins': bins}
                if base is not None:
                    opts['base'] = base
                cases.append({'name': f'{name}/{bins}/base-{base or "e"}', 'kind': 'numeric', 'reference': sa,
                              'current': sb, 'options': opts, 'expected': exp})
    for name, a, b in categorical_pairs():
        ca = [v for v in a if v is not None]
        cb = [v for v in b if v is not None]
        rp, cp = cat_shares(ca, cb)
        frp, fcp = evidently_floor(rp), evidently_floor(cp)
        exp = divergence_expected(rp, cp, frp, fcp, None)
        exp['dropped'] = {'reference': len(a) - len(ca), 'current': len(b) - len(cb)}
        cases.append({'name': f'{name}/categorical', 'kind': 'categorical', 'reference': a, 'current': b,
                      'options': {}, 'expected': exp})
    return cases


# ----------------------------------------------------------------------------------------------- categorical
def cat_sample(n, cats, p):
    return [str(v) for v in rs.choice(cats, n, p=p)]


def categorical_pairs():
    c3 = ['a', 'b', 'c']
    return [
        ('cat3-same', cat_sample(200, c3, [0.5, 0.3, 0.2]), cat_sample(150, c3, [0.5, 0.3, 0.2])),
        ('cat3-shift', cat_sample(300, c3, [0.5, 0.3, 0.2]), cat_sample(250, c3, [0.3, 0.3, 0.4])),
        ('cat5-new-category', cat_sample(100, ['a', 'b', 'c', 'd'], [0.4, 0.3, 0.2, 0.1]),
         cat_sample(120, ['a', 'b', 'c', 'd', 'e'], [0.3, 0.3, 0.2, 0.1, 0.1])),
        ('binary-1000', cat_sample(1000, ['yes', 'no'], [0.8, 0.2]), cat_sample(900, ['yes', 'no'], [0.75, 0.25])),
        ('tiny', ['x', 'y', 'x'], ['y', 'y']),
        ('single-category-equal', ['k'] * 10, ['k'] * 7),
        ('with-missing', ['a', None, 'b', 'a', 'c', None, 'a'], ['b', 'b', None, 'c', 'a']),
        ('large-cat', cat_sample(5000, [f'c{i}' for i in range(30)], None),
         cat_sample(4000, [f'c{i}' for i in range(30)], None)),
    ]


def chi_square_cases():
    cases = []
    for name, a, b in categorical_pairs():
        ca = [v for v in a if v is not None]
        cb = [v for v in b if v is not None]
        keys = sorted(set(ca) | set(cb))
        rc = np.array([ca.count(k) for k in keys], dtype=float)
        cc = np.array([cb.count(k) for k in keys], dtype=float)
        dropped = {'reference': len(a) - len(ca), 'current': len(b) - len(cb)}
        table = np.vstack([rc, cc])
        stat, p, dof, _ = stats.chi2_contingency(table, correction=False)
        cases.append({'name': f'{name}/contingency', 'reference': a, 'current': b,
                      'options': {'kind': 'contingency'},
                      'expected': {'statistic': stat, 'pValue': p, 'dof': int(dof), 'dropped': dropped}})
        expected = rc * (len(cb) / len(ca))
        with np.errstate(all='ignore'):
            gs, gp = stats.chisquare(cc, expected)
        cases.append({'name': f'{name}/goodnessOfFit', 'reference': a, 'current': b,
                      'options': {'kind': 'goodnessOfFit'},
                      'expected': {'statistic': gs, 'pValue': gp, 'dof': len(keys) - 1, 'dropped': dropped}})
    # numbers treated as categories
    a, b = ints(200, 4), ints(180, 4)
    for kind in ['contingency', 'goodnessOfFit']:
        keys = sorted(set(a) | set(b))
        rc = np.array([a.count(k) for k in keys], dtype=float)
        cc = np.array([b.count(k) for k in keys], dtype=float)
        if kind == 'contingency':
            stat, p, dof, _ = stats.chi2_contingency(np.vstack([rc, cc]), correction=False)
        else:
            stat, p = stats.chisquare(cc, rc * len(b) / len(a))
            dof = len(keys) - 1
        cases.append({'name': f'numeric-categories/{kind}', 'reference': a, 'current': b, 'options': {'kind': kind},
                      'expected': {'statistic': stat, 'pValue': p, 'dof': int(dof),
                                   'dropped': {'reference': 0, 'current': 0}}})
    return cases


def z_test_cases():
    # Evidently 0.7 _z_stat_test: share of one category in each sample, pooled two-proportion z statistic,
    # p = 2 * (1 - norm.cdf(|z|)); identical single-category samples give p = 1.
    cases = []
    for name, a, b in categorical_pairs():
        ca = [v for v in a if v is not None]
        cb = [v for v in b if v is not None]
        keys = sorted(set(ca) | set(cb))
        for cat in keys[:2]:
            n1, n2 = len(ca), len(cb)
            p1 = ca.count(cat) / n1
            p2 = cb.count(cat) / n2
            P = (p1 * n1 + p2 * n2) / (n1 + n2)
            with np.errstate(all='ignore'):
                den = np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
                z = (p1 - p2) / den if den > 0 else float('nan')
            if len(set(ca)) == 1 and len(set(cb)) == 1 and ca[0] == cb[0]:
                pv = 1.0
            elif math.isnan(z):
                pv = float('nan')
            else:
                pv = 2 * stats.norm.sf(abs(z))
            cases.append({'name': f'{name}/{cat}', 'reference': a, 'current': b, 'options': {'category': cat},
                          'expected': {'statistic': z, 'pValue': pv, 'referenceShare': p1, 'currentShare': p2,
                                       'dropped': {'reference': len(a) - len(ca), 'current': len(b) - len(cb)}}})
    return cases


def ad_cases():
    import warnings
    cases = []
    for name, a, b in numeric_pairs() + large_pairs()[:1]:
        sa, va, da = materialize(a)
        sb, vb, db = materialize(b)
        if len(np.unique(np.concatenate([va, vb]))) < 2 or len(va) + len(vb) < 4:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            res = stats.anderson_ksamp([va, vb])
        cases.append({'name': name, 'reference': sa, 'current': sb,
                      'expected': {'statistic': res.statistic, 'pValue': res.pvalue,
                                   'criticalValues': list(res.critical_values),
                                   'dropped': {'reference': da, 'current': db}}})
    return cases


def cvm_cases():
    cases = []
    for name, a, b in numeric_pairs():
        sa, va, da = materialize(a)
        sb, vb, db = materialize(b)
        if len(va) < 2 or len(vb) < 2:
            continue
        for method in ['auto', 'asymptotic'] + (['exact'] if max(len(va), len(vb)) <= 30 else []):
            res = stats.cramervonmises_2samp(va, vb, method=method)
            cases.append({'name': f'{name}/{method}', 'reference': sa, 'current': sb, 'options': {'method': method},
                          'expected': {'statistic': res.statistic, 'pValue': res.pvalue,
                                       'dropped': {'reference': da, 'current': db}}})
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    only = set(sys.argv[1:])
    jobs = {
        'ks': ks_cases, 'psi': psi_cases, 'wasserstein-energy': wasserstein_cases, 'divergence': divergence_cases,
        'chi-square': chi_square_cases, 'z-test': z_test_cases, 'anderson-darling': ad_cases,
        'cramer-von-mises': cvm_cases,
    }
    for name, fn in jobs.items():
        global rs
        rs = np.random.default_rng(20240605)  # every file sees the same inline samples
        if only and name not in only:
            continue
        write(name, fn())


if __name__ == '__main__':
    main()
