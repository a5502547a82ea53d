// rooflm report page: builds every section and Vega-Lite chart from the JSON that `rooflm report`
// embeds in <script id="rooflm-data">. Runs offline: vega, vega-lite and vega-embed are inlined.
// Order: the answer first (comparison with --compare, the headline per file, the variant table,
// capacity), then the charts, the per-kernel detail, and last the environment and the scenario
// (folded). A chart with no data is not drawn: its place says "not recorded" and why.
// Each chart div gets data-rendered="true" once drawn; errors are counted in body[data-errors].
(function () {
  'use strict';
  const errors = [];
  const recordError = (message) => {
    errors.push(String(message));
    document.body.dataset.errors = String(errors.length);
    const list = document.getElementById('errors');
    if (list) { list.hidden = false; list.textContent = errors.join('\n'); }
  };
  window.addEventListener('error', (e) => recordError(e.message));
  window.addEventListener('unhandledrejection', (e) => recordError(e.reason));
  const consoleError = console.error.bind(console);
  console.error = (...args) => { recordError(args.join(' ')); consoleError(...args); };

  const data = JSON.parse(document.getElementById('rooflm-data').textContent);
  const NOT_RECORDED = 'not recorded';
  const missing = (v) => v === null || v === undefined || Number.isNaN(v);
  const fmt = (v, d) => missing(v) ? '-' : Number(v).toFixed(d);
  const el = (tag, attrs, children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of [].concat(children === undefined ? [] : children)) node.append(c instanceof Node ? c : String(c));
    return node;
  };
  const table = (header, rows, attrs) => el('table', attrs || {}, [
    el('thead', {}, el('tr', {}, header.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => c instanceof Node && c.tagName === 'TD' ? c : el('td', {}, c))))),
  ]);
  const section = (id, title, children) => {
    const s = el('section', { id }, [el('h2', {}, title)].concat(children || []));
    document.getElementById('sections').append(s);
    return s;
  };
  const notRecorded = (parent, name, what, why) => parent.append(
    el('p', { class: 'not-recorded', 'data-not-recorded': name }, `${what}: ${NOT_RECORDED}${why ? ' (' + why + ')' : ''}.`));

  // Numbers inside labels compare as numbers ("rate=4" before "rate=16"); the legends and axes sort by it.
  const naturalCompare = (a, b) => {
    const pa = String(a).split(/(-?\d+(?:\.\d+)?)/), pb = String(b).split(/(-?\d+(?:\.\d+)?)/);
    for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
      if (pa[i] === pb[i]) continue;
      const na = Number(pa[i]), nb = Number(pb[i]);
      if (i % 2 === 1 && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
      return pa[i] < pb[i] ? -1 : 1;
    }
    return pa.length - pb.length;
  };
  const naturalOrder = (values) => [...new Set(values)].sort(naturalCompare);
  const sloText = (slo) => Object.keys(slo || {}).length ? Object.entries(slo).map(([k, v]) => `${k.replace('_ms', '')} <= ${v} ms`).join(', ') : 'none';

  // The rows of a spec (its data and every layer's): a chart without any is not drawn.
  const specRows = (spec) => (spec.data && spec.data.values ? spec.data.values.length : 0) +
    (spec.layer || []).reduce((n, l) => n + specRows(l), 0);
  let pendingCharts = 0;
  const chart = (parent, name, spec, what, why) => {
    if (specRows(spec) === 0) { notRecorded(parent, name, what || spec.title || name, why); return; }
    const div = el('div', { class: 'chart', 'data-chart': name });
    parent.append(div);
    pendingCharts += 1;
    spec.$schema = 'https://vega.github.io/schema/vega-lite/v5.json';
    spec.width = spec.width || 560;
    spec.height = spec.height || 260;
    // legends and axis labels never truncated
    spec.config = Object.assign({ legend: { labelLimit: 0, titleLimit: 0, symbolLimit: 0 }, axis: { labelLimit: 0, titleLimit: 0 } }, spec.config || {});
    vegaEmbed(div, spec, { renderer: 'svg', actions: false })
      .then(() => { div.dataset.rendered = 'true'; })
      .catch((e) => recordError(name + ': ' + e))
      .finally(() => {
        pendingCharts -= 1;
        if (pendingCharts === 0) document.body.dataset.chartsDone = 'true';
      });
  };
  // A legend whose symbols draw the line style (solid p50 vs dashed p99), not a dot.
  // (a line mark with points would give them the points' transparent stroke: set it here)
  const dashLegend = (title) => ({ title, symbolType: 'stroke', symbolSize: 400, symbolStrokeWidth: 2,
    encode: { symbols: { update: { stroke: { value: '#333' }, fill: { value: 'transparent' } } } } });
  const DASHES = { domain: ['p50', 'p99'], range: [[1, 0], [6, 3]] };

  const runs = [];  // every run of every file: {file, fileIndex, runIndex, id, name, run}
  data.files.forEach((f, fi) => f.runs.forEach((r, ri) => runs.push({
    file: f, fileIndex: fi, runIndex: ri, id: `run-${fi}-${ri}`,
    name: (data.files.length > 1 ? f.name + ': ' : '') + r.label, run: r,
  })));
  const runOrder = naturalOrder(runs.map((r) => r.name));
  const runColor = (extra) => Object.assign({ field: 'run', type: 'nominal', sort: runOrder, title: 'variant' }, extra || {});

  // links between the files and runs compared
  // (folded when there are many: a capacity search's probes)
  const nav = document.getElementById('links');
  const links = runs.length > 12 ? el('details', {}, el('summary', {}, `Runs (${runs.length})`)) : nav;
  if (links !== nav) nav.append(links); else nav.append(el('span', {}, 'Runs: '));
  runs.forEach((r) => links.append(el('a', { href: '#' + r.id }, r.name), ' '));

  // --- the answer first: per variant the key metrics against the baseline, beside their limits ---
  const number = (v, unit) => {
    if (missing(v)) return NOT_RECORDED;
    if (unit === '') return `${(100 * v).toFixed(1)}%`;  // utilisation
    const digits = Math.abs(v) >= 100 ? 1 : Math.abs(v) >= 10 ? 2 : 3;
    return `${Number(v).toFixed(digits)} ${unit}`;
  };
  const pText = (p, n) => !missing(p) ? (p < 0.001 ? 'p<0.001' : `p=${p.toFixed(3)}`)
    : n && Math.max(...n) > 0 ? `${n[0]} vs ${n[1]} samples: too few to test` : 'no samples to test';
  const metricCell = (m, isBase) => {
    const cell = el('td', { class: 'metric', 'data-metric': m.key }, el('div', { class: 'value' }, number(m.value, m.unit)));
    if (isBase) {
      cell.append(el('div', { class: 'delta base' }, 'baseline'));
    } else if (!missing(m.delta_pct)) {
      const sign = m.delta_pct > 0 ? '+' : '';
      cell.append(el('div', { class: `delta ${m.verdict}${m.significant ? ' significant' : ''}`, 'data-delta': m.delta_pct.toFixed(2) },
        `${sign}${m.delta_pct.toFixed(1)}% (${m.verdict}, ${m.significant ? 'significant, ' : ''}${pText(m.p_value, m.samples)})`));
    }
    if (!missing(m.value)) {
      cell.append(el('div', { class: 'limit' }, missing(m.limit) ? `limit ${NOT_RECORDED}` : `limit ${number(m.limit, m.unit)} (${m.limit_note})`));
    }
    return cell;
  };
  const capacityCell = (c, isBase) => {
    const cell = el('td', { class: 'metric', 'data-metric': 'capacity' },
      el('div', { class: 'value' }, (c.status === 'at_hi' ? '>= ' : '') + (missing(c.value) ? 'below search.lo' : number(c.value, c.unit))));
    if (isBase) cell.append(el('div', { class: 'delta base' }, 'baseline'));
    else if (!missing(c.ratio)) cell.append(el('div', { class: `delta ${c.verdict}`, 'data-delta': c.delta_pct.toFixed(2) }, `${c.ratio.toFixed(2)}x (${c.delta_pct > 0 ? '+' : ''}${c.delta_pct.toFixed(1)}%)`));
    cell.append(el('div', { class: 'limit' }, c.status === 'at_hi' ? 'held at search.hi' : `bound by ${(c.bound_by || []).join(', ') || '-'}`));
    return cell;
  };
  const metricHeader = (metrics) => metrics.map((m) => m.title + (m.unit && m.unit !== '' ? '' : ' (of datasheet peak)'));

  if (data.comparison) {
    const c = data.comparison;
    const first = c.variants.find((v) => v.metrics.length) || { metrics: [] };
    const rows = c.variants.map((v) => [el('td', {}, v.label)]
      .concat(v.capacity ? [capacityCell(v.capacity, false)] : [])
      .concat(v.metrics.map((m) => {
        const cell = metricCell(m, false);
        cell.prepend(el('div', { class: 'side' }, `A ${number(m.base, m.unit)} | B ${number(m.value, m.unit)}` +
          (missing(m.ratio) ? '' : ` | B/A ${m.ratio.toFixed(3)}`)));
        cell.querySelector('.value').remove();
        return cell;
      })));
    const withCapacity = c.variants.find((v) => v.capacity);
    section('compare', `Comparison: B against A`, [
      el('p', {}, [`A: ${c.a}`, el('br'), `B: ${c.b}`, el('br'),
        'Per variant matched by label; the delta is B against A, with the Mann-Whitney U test of the raw samples both carry (per request for TTFT and TPOT, per repetition for throughput and goodput).']),
      table(['variant'].concat(withCapacity ? [withCapacity.capacity.title] : [], metricHeader(first.metrics)), rows, { class: 'headline' }),
    ].concat(c.only_a.length ? [el('p', {}, 'Only in A: ' + c.only_a.join(', '))] : [],
      c.only_b.length ? [el('p', {}, 'Only in B: ' + c.only_b.join(', '))] : []));
  }

  section('headline', 'Headline', data.files.map((f) => {
    const h = f.headline;
    const first = h.rows.find((r) => r.metrics.length) || { metrics: [] };
    return el('div', { class: 'headline-file' }, [
      el('h3', {}, `${f.scenario.name || f.name}${data.files.length > 1 ? ' (' + f.name + ')' : ''}`),
      el('p', {}, `Each variant against the baseline "${h.baseline}" (choose another with --baseline LABEL): delta, ` +
        'better/worse, and the Mann-Whitney U significance of the raw samples (per request for TTFT and TPOT, per repetition for throughput and goodput); ' +
        'beside each number the roofline limit of the same work' + (h.search ? `; capacity from the search over ${h.search}, the other metrics of the run at that capacity.` : '.')),
      table(['variant'].concat(h.search ? [h.rows[0].capacity.title] : [], metricHeader(first.metrics)), h.rows.map((r) =>
        [el('td', {}, r.label + (r.baseline ? ' (baseline)' : ''))]
          .concat(r.capacity ? [capacityCell(r.capacity, r.baseline)] : [])
          .concat(r.metrics.length ? r.metrics.map((m) => metricCell(m, r.baseline)) : first.metrics.map(() => el('td', {}, NOT_RECORDED)))),
      { class: 'headline' }),
    ]);
  }));

  // --- the variant table: every summary number per run; kernels by set (listed once, below) ---
  const kernelSets = [];  // {name, kernels, runs}
  const kernelSetOf = new Map();
  runs.forEach((r) => {
    const key = r.run.kernels.join('\n');
    let set = kernelSets.find((s) => s.key === key);
    if (!set) { set = { key, name: `K${kernelSets.length + 1}`, kernels: r.run.kernels, runs: [] }; kernelSets.push(set); }
    set.runs.push(r.name);
    kernelSetOf.set(r.id, set.name);
  });
  const pct = (s, k) => fmt(s && s[k], 2);
  const util = (u) => u ? Object.entries(u).map(([phase, v]) => `${phase[0]}:${fmt(100 * v.datasheet, 0)}%`).join(' ') : '-';
  // accuracy against the run's reference precision (runs[i].accuracy), or '-' where not evaluated
  const sci = (v) => missing(v) ? '-' : Number(v).toExponential(2);
  const accuracyCell = (a) => a
    ? `KL ${sci(a.kl_mean)} / top-1 ${fmt(100 * a.top1_agreement, 1)}% / NMSE ${sci(a.logit_nmse)} / ppl ${fmt(a.perplexity, 2)} (ref ${fmt(a.perplexity_reference, 2)}, ${a.reference})`
    : '-';
  const variantTable = table(
    ['variant', 'kernel set', 'done', 'TTFT p50/p90/p99', 'TPOT p50/p90/p99', 'ITL p50/p99', 'E2E p50/p99',
      'out tok/s', 'req/s', 'goodput req/s', 'energy J', 'out tok/J', 'accuracy vs reference', 'MBU', 'MFU', 'valid'],
    runs.map((r) => {
      const s = r.run.summary;
      return [el('a', { href: '#' + r.id, id: r.id }, r.name), el('a', { href: '#kernel-set-' + kernelSetOf.get(r.id) }, kernelSetOf.get(r.id)),
        `${s.requests.completed}/${s.requests.completed + s.requests.failed}`,
        `${pct(s.ttft_ms, 'p50')} / ${pct(s.ttft_ms, 'p90')} / ${pct(s.ttft_ms, 'p99')}`,
        `${pct(s.tpot_ms, 'p50')} / ${pct(s.tpot_ms, 'p90')} / ${pct(s.tpot_ms, 'p99')}`,
        `${pct(s.itl_ms, 'p50')} / ${pct(s.itl_ms, 'p99')}`, `${pct(s.e2e_ms, 'p50')} / ${pct(s.e2e_ms, 'p99')}`,
        fmt(s.throughput.output_tok_s, 1), fmt(s.throughput.req_s, 2), fmt(s.goodput_req_s, 2),
        fmt(s.energy_j, 2), fmt(s.tokens_per_j, 3),
        accuracyCell(r.run.accuracy), util(s.mbu), util(s.mfu), r.run.valid ? 'yes' : (r.run.telemetry && r.run.telemetry.throttled ? 'INVALID (throttled)' : 'INVALID')];
    }));
  // a capacity search's runs are its probes: folded, the headline has the run at each capacity
  section('variants', 'Variant comparison', [data.files.some((f) => f.capacity)
    ? el('details', {}, [el('summary', {}, `Every run (${runs.length}: the probes of the capacity search)`), variantTable])
    : variantTable]);

  // --- capacity under the SLO: one bar per variant of each search ---
  const searched = data.files.filter((f) => f.capacity);
  if (searched.length) {
    const bars = [];
    searched.forEach((f) => f.capacity.forEach((c) => {
      if (!missing(c.value)) bars.push({ variant: (data.files.length > 1 ? f.name + ': ' : '') + c.variant, capacity: c.value, status: c.status, bound_by: (c.bound_by || []).join(', ') });
    }));
    const capacitySection = section('capacity', 'Capacity under the SLO', searched.map((f) => el('div', {}, [
      el('p', {}, `${f.name}: the highest ${f.capacity[0].path} at which the ${f.capacity[0].slo} SLOs (${sloText(f.capacity[0].limits)}) held (${f.capacity[0].goodput_fraction * 100}% of requests within them).`),
      el('ul', {}, (f.capacity_ratios || []).map((t) => el('li', {}, t))),
    ])));
    chart(capacitySection, 'capacity', {
      data: { values: bars }, mark: 'bar', height: { step: 22 },
      encoding: { y: { field: 'variant', type: 'nominal', sort: naturalOrder(bars.map((b) => b.variant)), title: 'variant' },
        x: { field: 'capacity', type: 'quantitative', title: searched[0].capacity[0].path },
        color: { field: 'status', type: 'nominal', title: 'search', scale: { domain: ['found', 'at_hi'], range: ['#4c78a8', '#9ecae9'] } },
        tooltip: [{ field: 'variant' }, { field: 'capacity' }, { field: 'status' }, { field: 'bound_by' }] },
    }, 'capacity', 'no variant held the SLO at search.lo');
  }

  // --- tensor-parallel scaling: TPOT per rank count, one line per group of the other axes, beside
  // the ideal TP=1 / N (only when a file sweeps engine.tensor_parallel) ---
  const TP = 'engine.tensor_parallel';
  const tpFiles = data.files.filter((f) => new Set(f.runs.map((r) => (r.variant.sweep || {})[TP]).filter((v) => v !== undefined)).size > 1);
  if (tpFiles.length) {
    const points = [], lines = [];
    tpFiles.forEach((f) => {
      const groups = {};
      f.runs.forEach((r) => {
        const sweep = r.variant.sweep || {};
        const tpot = r.summary.tpot_ms && r.summary.tpot_ms.p50;
        if (sweep[TP] === undefined || missing(tpot)) return;
        const others = Object.keys(sweep).filter((k) => k !== TP).map((k) => `${k.slice(k.lastIndexOf('.') + 1)}=${sweep[k]}`).join(' ');
        const group = (tpFiles.length > 1 ? f.name + (others ? ': ' : '') : '') + (others || (tpFiles.length > 1 ? '' : 'all'));
        (groups[group] = groups[group] || []).push({ ranks: sweep[TP], tpot });
      });
      Object.entries(groups).forEach(([group, pts]) => {
        const one = pts.find((p) => p.ranks === 1);
        pts.forEach((p) => {
          points.push({ group, series: 'measured', ranks: p.ranks, tpot_ms: p.tpot });
          if (one) points.push({ group, series: 'ideal: TP=1 / N', ranks: p.ranks, tpot_ms: one.tpot / p.ranks });
          if (one && p.ranks > 1) lines.push(`${group}: TP=${p.ranks} TPOT ${fmt(p.tpot, 3)} ms = ${fmt(p.tpot / one.tpot, 3)}x TP=1 (ideal ${fmt(1 / p.ranks, 3)}x)`);
        });
      });
    });
    const tpSection = section('tensor-parallel', 'Tensor-parallel scaling', [el('ul', {}, lines.map((t) => el('li', {}, t)))]);
    chart(tpSection, 'tensor-parallel', {
      data: { values: points },
      mark: { type: 'line', point: true },
      encoding: { x: { field: 'ranks', type: 'quantitative', title: 'engine.tensor_parallel (GPUs)', scale: { type: 'log', base: 2 },
          axis: { values: [...new Set(points.map((p) => p.ranks))], format: 'd' } },
        y: { field: 'tpot_ms', type: 'quantitative', title: 'TPOT p50 (ms)' },
        color: { field: 'group', type: 'nominal', sort: naturalOrder(points.map((p) => p.group)), title: 'variant group' },
        strokeDash: { field: 'series', type: 'nominal', scale: { domain: ['measured', 'ideal: TP=1 / N'], range: [[1, 0], [6, 3]] },
          legend: dashLegend('line') },
        order: { field: 'ranks', type: 'quantitative' },
        tooltip: [{ field: 'group' }, { field: 'series' }, { field: 'ranks' }, { field: 'tpot_ms', format: '.3f' }] },
    }, 'tensor-parallel scaling', 'no run has a TPOT summary');
    const tpDiv = tpSection.querySelector('[data-chart="tensor-parallel"]');
    if (tpDiv) tpDiv.dataset.lines = String(new Set(points.map((p) => p.group + ' ' + p.series)).size);
  }

  // --- throughput-latency: one line per variant group (every sweep axis but the swept one) ---
  const tlSection = section('throughput-latency', 'Throughput vs latency', []);
  const tl = [];
  const tlGroups = new Set();
  data.files.forEach((f) => {
    const keys = [...new Set(f.runs.flatMap((r) => Object.keys((r.variant && r.variant.sweep) || {})))];
    const numeric = (k) => f.runs.every((r) => typeof ((r.variant.sweep || {})[k]) === 'number');
    const distinct = (k) => new Set(f.runs.map((r) => (r.variant.sweep || {})[k])).size;
    const swept = ['workload.arrival.rate', 'workload.arrival.concurrency'].find((k) => keys.includes(k)) ||
      keys.filter(numeric).sort((a, b) => distinct(b) - distinct(a))[0];
    const short = (k) => k.slice(k.lastIndexOf('.') + 1);
    f.runs.forEach((r) => {
      const s = r.summary;
      const sweep = r.variant.sweep || {};
      const others = keys.filter((k) => k !== swept).map((k) => `${short(k)}=${sweep[k]}`).join(' ');
      const group = swept ? ((data.files.length > 1 ? f.name + (others ? ': ' : '') : '') + others || f.name)
        : (data.files.length > 1 ? f.name + ': ' : '') + r.label;
      for (const [percentile, key] of [['p50', 'p50'], ['p99', 'p99']]) {
        if (missing(s.throughput.output_tok_s) || !s.e2e_ms || missing(s.e2e_ms[key])) continue;
        tl.push({ group, percentile, run: r.label, swept: swept ? sweep[swept] : 0, sweptName: swept ? short(swept) : '',
          throughput: s.throughput.output_tok_s, e2e_ms: s.e2e_ms[key] });
        tlGroups.add(group + ' ' + percentile);
      }
    });
  });
  chart(tlSection, 'throughput-latency', {
    data: { values: tl },
    mark: { type: 'line', point: true },
    encoding: { x: { field: 'throughput', type: 'quantitative', title: 'output tokens/s' },
      y: { field: 'e2e_ms', type: 'quantitative', title: 'E2E latency (ms)' },
      color: { field: 'group', type: 'nominal', sort: naturalOrder(tl.map((p) => p.group)), title: 'variant group' },
      strokeDash: { field: 'percentile', type: 'nominal', scale: DASHES, legend: dashLegend('E2E percentile') },
      order: { field: 'swept', type: 'quantitative' },
      tooltip: [{ field: 'run', title: 'variant' }, { field: 'percentile' }, { field: 'throughput', format: '.1f' }, { field: 'e2e_ms', format: '.1f' }] },
  }, 'throughput vs latency', 'no run has an E2E latency summary');
  const tlDiv = tlSection.querySelector('[data-chart="throughput-latency"]');
  if (tlDiv) tlDiv.dataset.lines = String(tlGroups.size);

  // --- latency CDFs ---
  const cdfSection = section('latency', 'Latency CDFs', []);
  for (const metric of ['ttft_ms', 'tpot_ms', 'itl_ms', 'e2e_ms']) {
    const values = [];
    runs.forEach((r) => {
      const samples = (r.run.samples[metric] || []).slice().sort((a, b) => a - b);
      samples.forEach((v, i) => values.push({ run: r.name, ms: v, fraction: (i + 1) / samples.length }));
    });
    chart(cdfSection, 'cdf-' + metric, {
      title: metric, data: { values }, mark: { type: 'line', interpolate: 'step-after' },
      encoding: { x: { field: 'ms', type: 'quantitative', title: metric.replace('_ms', ' (ms)') },
        y: { field: 'fraction', type: 'quantitative', title: 'fraction of samples' }, color: runColor() },
    }, metric.replace('_ms', '').toUpperCase() + ' samples', 'per-request timelines are off: measure.record_requests');
  }

  // --- roofline: log-log, roofs of the datasheet and calibrated ceilings, each phase (and kernel) a point ---
  const rooflineSection = section('roofline', 'Roofline', []);
  const roofs = [], points = [], roofNames = new Set();
  runs.forEach((r) => {
    Object.entries(r.run.ceilings || {}).forEach(([kind, c]) => {
      if (!c) return;
      const roof = `${kind}: ${fmt(c.bandwidth_bytes_per_s / 1e9, 0)} GB/s, ${fmt(c.flops_per_s / 1e12, 1)} TFLOP/s`;
      if (roofNames.has(roof)) return;  // one roof per distinct ceiling
      roofNames.add(roof);
      const ridge = c.flops_per_s / c.bandwidth_bytes_per_s;
      for (const x of [0.1, ridge, 10000]) roofs.push({ roof, intensity: x, flops: Math.min(c.flops_per_s, c.bandwidth_bytes_per_s * x) / 1e12 });
    });
    (r.run.phases || []).forEach((p) => points.push({ run: r.name, point: p.phase, intensity: p.arithmetic_intensity, flops: p.achieved_flops_per_s / 1e12 }));
    (r.run.kernel_points || []).forEach((p) => points.push({ run: r.name, point: p.name, intensity: p.arithmetic_intensity, flops: p.achieved_flops_per_s / 1e12 }));
    ((r.run.profile || {}).ops || []).filter((p) => p.arithmetic_intensity > 0 && p.achieved_flops_per_s > 0)
      .forEach((p) => points.push({ run: r.name, point: 'ncu ' + p.op, intensity: p.arithmetic_intensity, flops: p.achieved_flops_per_s / 1e12 }));
  });
  if (roofs.length || points.length) {
    chart(rooflineSection, 'roofline', {
      layer: [
        { data: { values: roofs }, mark: 'line', encoding: {
          x: { field: 'intensity', type: 'quantitative', scale: { type: 'log' }, title: 'arithmetic intensity (FLOP/byte)' },
          y: { field: 'flops', type: 'quantitative', scale: { type: 'log' }, title: 'TFLOP/s' },
          strokeDash: { field: 'roof', type: 'nominal', legend: dashLegend('roof') } } },
        { data: { values: points }, mark: { type: 'point', filled: true, size: 80 }, encoding: {
          x: { field: 'intensity', type: 'quantitative' }, y: { field: 'flops', type: 'quantitative' },
          color: runColor(), shape: { field: 'point', type: 'nominal', title: 'phase / kernel' },
          tooltip: [{ field: 'run' }, { field: 'point' }, { field: 'intensity', format: '.2f' }, { field: 'flops', format: '.2f' }] } },
      ],
    });
  } else {
    notRecorded(rooflineSection, 'roofline', 'roofline', 'no GPU spec for these runs: cpu backend');
  }

  // --- time series of batch size, KV occupancy and step time ---
  const tsSection = section('timeseries', 'Batch size, KV occupancy and step time', []);
  const steps = [];
  runs.forEach((r) => (r.run.steps || []).forEach((s) => steps.push(Object.assign({ run: r.name }, s))));
  for (const [field, title] of [['n_seqs', 'sequences in the step'], ['kv_occupancy', 'KV occupancy (used / capacity)'], ['step_ms', 'step time (ms)']]) {
    chart(tsSection, 'ts-' + field, {
      title, height: 180, data: { values: steps }, mark: { type: 'line', interpolate: 'step-after' },
      encoding: { x: { field: 'start_s', type: 'quantitative', title: 'time (s)' },
        y: { field, type: 'quantitative', title }, color: runColor() },
    }, title, 'per-step traces are off: measure.record_steps');
  }

  // --- per-kernel breakdown when present; the chosen kernels once per distinct set ---
  const kernelRows = [];
  runs.forEach((r) => (r.run.kernel_breakdown || []).forEach((k) => kernelRows.push(Object.assign({ run: r.name }, k))));
  const kernelSection = section('kernels', 'Kernels', []);
  kernelSection.append(el('p', {}, `The registry's chosen kernels, ${kernelSets.length} distinct set${kernelSets.length > 1 ? 's' : ''}:`));
  kernelSets.forEach((s) => kernelSection.append(el('details', { class: 'kernel-set', id: 'kernel-set-' + s.name, 'data-kernel-set': s.name }, [
    el('summary', {}, `${s.name}: ${s.kernels.length} kernels, used by ${s.runs.length === runs.length ? 'every run' : s.runs.join(', ')}`),
    el('ul', {}, s.kernels.map((k) => el('li', {}, el('code', {}, k)))),
  ])));
  if (kernelRows.length) {
    kernelRows.forEach((k) => { k.label = (k.op || 'graph replay') + ': ' + k.kernel; });
    chart(kernelSection, 'kernels', {
      data: { values: kernelRows }, mark: 'bar', height: { step: 14 },
      encoding: { y: { field: 'label', type: 'nominal', title: 'op: kernel', sort: '-x' }, x: { field: 'ms', type: 'quantitative', title: 'GPU time (ms)' },
        color: runColor(), yOffset: { field: 'run' },
        tooltip: [{ field: 'run' }, { field: 'op' }, { field: 'kernel' }, { field: 'calls' }, { field: 'ms', format: '.3f' }, { field: 'mean_us', format: '.2f' }, { field: 'share', format: '.1%' }] },
    });
    const opRows = [];
    runs.forEach((r) => (r.run.kernel_points || []).forEach((p) => opRows.push([r.name, p.name, p.calls, fmt(p.measured_ms, 3), fmt(p.predicted_ms, 3),
      fmt(p.arithmetic_intensity, 2), fmt(p.achieved_flops_per_s / 1e12, 2), fmt(p.achieved_bytes_per_s / 1e9, 0), p.bound, fmt(p.roofline_fraction, 2)])));
    if (opRows.length) {
      kernelSection.append(el('p', {}, 'Per op (eagerly launched steps; FLOPs and bytes from the cost model, time from the kernel trace):'));
      kernelSection.append(table(['run', 'op', 'launches', 'GPU ms', 'roofline ms', 'FLOP/byte', 'TFLOP/s', 'GB/s', 'bound', 'roofline / measured'], opRows));
    }
  } else {
    notRecorded(kernelSection, 'kernels', 'per-kernel timings', 'run on the cuda backend with --set measure.kernel_trace=true' +
      runs.filter((r) => r.run.kernel_trace && r.run.kernel_trace !== 'traced').map((r) => `; ${r.name}: ${r.run.kernel_trace}`).join(''));
  }

  // --- rooflm profile: ncu's DRAM bytes per op call beside the cost model's ---
  const profiled = runs.filter((r) => r.run.profile && r.run.profile.ops);
  if (profiled.length) {
    const rows = [];
    profiled.forEach((r) => r.run.profile.ops.forEach((o) => rows.push([r.name, o.op || '(no op)', o.launches, fmt(o.duration_us, 2),
      fmt(o.measured_bytes_per_call / 1e6, 3), missing(o.model_bytes_per_call) ? '-' : fmt(o.model_bytes_per_call / 1e6, 3),
      missing(o.measured_over_model) ? '-' : fmt(o.measured_over_model, 3), o.model_off ? 'off by > 10%' : ''])));
    section('profile', 'Nsight Compute profile', [
      el('p', {}, 'rooflm profile --tool ncu: per op, the DRAM bytes ncu counted per call (steps ' +
        profiled.map((r) => `${r.name}: ${r.run.profile.steps}`).join('; ') + ') beside the cost model\'s; ncu locks clocks to base and flushes caches, so its times are not the run\'s.'),
      table(['run', 'op', 'launches', 'us / call', 'ncu MB / call', 'model MB / call', 'ncu / model', ''], rows, { class: 'profile' }),
    ]);
  }

  // --- accuracy beside speed: one row per run with an accuracy evaluation, and KL against TPOT ---
  const accurate = runs.filter((r) => r.run.accuracy);
  if (accurate.length) {
    const accuracySection = section('accuracy', 'Accuracy beside speed', [
      el('p', {}, 'Each run\'s logits against its backend\'s reference precision on the same weights and seeded teacher-forced token streams (README "Precision: accuracy beside speed").'),
      table(['variant', 'precision', 'reference', 'TPOT p50 ms', 'out tok/s', 'KL mean (nats)', 'top-1 agreement', 'logit NMSE', 'perplexity', 'perplexity (reference)'],
        accurate.map((r) => {
          const a = r.run.accuracy, s = r.run.summary;
          return [r.name, r.run.variant.precision || '-', a.reference, pct(s.tpot_ms, 'p50'), fmt(s.throughput.output_tok_s, 1),
            sci(a.kl_mean), `${fmt(100 * a.top1_agreement, 2)}%`, sci(a.logit_nmse), fmt(a.perplexity, 3), fmt(a.perplexity_reference, 3)];
        })),
    ]);
    chart(accuracySection, 'accuracy', {
      data: { values: accurate.filter((r) => r.run.summary.tpot_ms && !missing(r.run.summary.tpot_ms.p50))
        .map((r) => ({ run: r.name, tpot: r.run.summary.tpot_ms.p50, kl: r.run.accuracy.kl_mean })) },
      mark: { type: 'point', filled: true, size: 80 },
      encoding: {
        x: { field: 'tpot', type: 'quantitative', title: 'TPOT p50 (ms)' },
        y: { field: 'kl', type: 'quantitative', title: 'mean KL vs reference (nats)' },
        color: runColor(),
        tooltip: [{ field: 'run' }, { field: 'tpot', format: '.3f' }, { field: 'kl', format: '.3e' }] },
    }, 'KL against TPOT', 'no run has a TPOT');
  }

  // --- SLO and goodput ---
  const sloSection = section('slo', 'SLO and goodput', data.files.map((f) =>
    el('p', {}, `${f.name}: SLO ${sloText((f.scenario.resolved || {}).slo)}`)));
  chart(sloSection, 'goodput', {
    data: { values: runs.map((r) => ({ run: r.name, 'requests/s': r.run.summary.throughput.req_s, 'goodput (meets every SLO)': r.run.summary.goodput_req_s })) },
    transform: [{ fold: ['requests/s', 'goodput (meets every SLO)'], as: ['measure', 'req_s'] }],
    mark: 'bar', encoding: { y: { field: 'run', type: 'nominal', sort: runOrder, title: 'variant' }, x: { field: 'req_s', type: 'quantitative', title: 'requests/s' },
      color: { field: 'measure', type: 'nominal' }, yOffset: { field: 'measure' } },
  });

  // --- environment and ceilings, formatted for people ---
  const GIB = 1024 ** 3;
  const envFormat = {
    clocks: (c) => `SM ${c.sm_mhz} MHz (max ${c.max_sm_mhz}), memory ${c.mem_mhz} MHz (max ${c.max_mem_mhz})`,
    cpu: (c) => `${c.model || NOT_RECORDED}${missing(c.logical_cores) ? '' : `, ${c.logical_cores} logical cores`}`,
    device: (d) => [d.kind, d.compute_capability && `compute capability ${d.compute_capability}`, d.sm_count && `${d.sm_count} SMs`,
      d.l2_bytes && `L2 ${(d.l2_bytes / 2 ** 20).toFixed(0)} MiB`, d.memory_bytes && `${(d.memory_bytes / GIB).toFixed(1)} GiB memory`,
      d.memory_free_bytes && `${(d.memory_free_bytes / GIB).toFixed(1)} GiB free`, d.weights_bytes && `weights ${(d.weights_bytes / GIB).toFixed(2)} GiB`]
      .filter(Boolean).join(', '),
    git_dirty: (v) => v ? 'yes: uncommitted changes' : 'no',
  };
  const human = (v) => {
    if (missing(v) || v === '') return NOT_RECORDED;
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (Array.isArray(v)) return v.length ? v.map(human).join(', ') : NOT_RECORDED;
    if (typeof v === 'object') {
      const entries = Object.entries(v).filter(([, x]) => !missing(x));
      return entries.length ? entries.map(([k, x]) => `${k.replace(/_/g, ' ')} ${human(x)}`).join(', ') : NOT_RECORDED;
    }
    return String(v);
  };
  const envValue = (k, v) => {
    if (missing(v) || v === '') return NOT_RECORDED;
    if (envFormat[k] && typeof v === 'object') return envFormat[k](v).replace(/undefined|null/g, NOT_RECORDED);
    if (envFormat[k]) return envFormat[k](v);
    return human(v);
  };
  const ENV_ORDER = ['gpu', 'driver', 'cuda', 'clocks', 'device', 'host', 'cpu', 'os', 'compiler', 'build_type', 'rooflm_version', 'git_commit', 'git_dirty', 'timestamp'];
  section('environment', 'Environment and ceilings', data.files.map((f) => {
    const keys = ENV_ORDER.concat(Object.keys(f.environment).filter((k) => !ENV_ORDER.includes(k)).sort());
    const ceilings = new Map();  // one row per distinct ceiling, with the runs that share it
    f.runs.forEach((r) => Object.entries(r.ceilings || {}).forEach(([kind, c]) => {
      const key = c ? `${kind} ${c.bandwidth_bytes_per_s} ${c.flops_per_s}` : `${kind} none`;
      if (!ceilings.has(key)) ceilings.set(key, { kind, c, runs: [] });
      ceilings.get(key).runs.push(r.label);
    }));
    return el('div', {}, [
      el('h3', {}, f.name),
      table(['key', 'value'], keys.map((k) => [k.replace(/_/g, ' '), envValue(k, f.environment[k])]), { class: 'environment' }),
      ceilings.size ? table(['ceiling', 'bandwidth GB/s', 'compute TFLOP/s', 'runs'], [...ceilings.values()].map((e) =>
        [e.kind, e.c ? fmt(e.c.bandwidth_bytes_per_s / 1e9, 0) : NOT_RECORDED, e.c ? fmt(e.c.flops_per_s / 1e12, 1) : NOT_RECORDED,
          e.runs.length === f.runs.length ? 'every run' : e.runs.join(', ')]), { class: 'ceilings' })
        : el('p', { class: 'not-recorded' }, `ceilings: ${NOT_RECORDED} (no GPU spec: cpu backend).`),
    ]);
  }));

  // --- the scenario, folded, last ---
  section('scenario', 'Scenario', data.files.map((f) => el('details', { class: 'scenario' }, [
    el('summary', {}, `${f.scenario.name}: ${f.scenario.description || ''} (resolved scenario JSON${f.scenario.source ? ', from ' + f.scenario.source : ''})`),
    el('pre', {}, JSON.stringify(f.scenario.resolved, null, 2)),
  ])));
  if (pendingCharts === 0) document.body.dataset.chartsDone = 'true';
}());
